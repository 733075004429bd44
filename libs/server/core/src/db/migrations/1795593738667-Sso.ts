import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sso1795593738667 implements MigrationInterface {
  name = 'Sso1795593738667';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "sso_connections" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "protocol" text NOT NULL, "name" text NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "jit_enabled" boolean NOT NULL DEFAULT true, "default_role" text NOT NULL DEFAULT \'member\', "groups_attribute" text NOT NULL DEFAULT \'groups\', "group_roles" jsonb NOT NULL DEFAULT \'[]\', "saml_idp_entity_id" text, "saml_sso_url" text, "saml_slo_url" text, "saml_idp_certs" jsonb, "saml_allow_idp_initiated" boolean NOT NULL DEFAULT false, "saml_email_attribute" text, "oidc_issuer" text, "oidc_client_id" text, "oidc_client_secret_sealed" text, "oidc_client_auth_method" text, "oidc_scopes" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e805b051afd9f0dc0349b064cf4" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_26dcfcd6c6ad22b1822628ba18" ON "sso_connections"  ("org_id") ');
    await q.query(
      'CREATE TABLE "sso_domains" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "domain" text NOT NULL, "challenge" text NOT NULL, "verified_at" TIMESTAMP WITH TIME ZONE, "last_checked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_183758629e3cd34594ba2aed491" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE UNIQUE INDEX "sso_domains_verified_domain" ON "sso_domains"  ("domain") WHERE "verified_at" IS NOT NULL',
    );
    await q.query(
      'CREATE UNIQUE INDEX "IDX_ed9d1dfb969ea4f935f80ed0e2" ON "sso_domains"  ("org_id", "domain") ',
    );
    await q.query(
      'CREATE TABLE "sso_identities" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "connection_id" uuid NOT NULL, "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "subject" text NOT NULL, "email" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_login_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a8d11d478e6dc2743d407a7456a" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_17b0ed9f37917807a7072f71f9" ON "sso_identities"  ("user_id") ');
    await q.query(
      'CREATE UNIQUE INDEX "IDX_82d2b35d8fc4a6e29a3718dca0" ON "sso_identities"  ("connection_id", "subject") ',
    );
    await q.query(
      'CREATE TABLE "sso_sessions" ("session_id" uuid NOT NULL, "connection_id" uuid NOT NULL, "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "name_id" text, "name_id_format" text, "session_index" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8bbcc6d5658380379dd5b49c60e" PRIMARY KEY ("session_id"))',
    );
    await q.query('CREATE INDEX "IDX_915206cd10175e43b7d9200a53" ON "sso_sessions"  ("connection_id") ');
    await q.query(
      'CREATE TABLE "sso_settings" ("org_id" uuid NOT NULL, "enforced" boolean NOT NULL DEFAULT false, "break_glass_user_ids" uuid array NOT NULL DEFAULT \'{}\', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bcd45327258a9942f17cd5aeeec" PRIMARY KEY ("org_id"))',
    );
    await q.query(
      'ALTER TABLE "sso_identities" ADD CONSTRAINT "FK_38e81e7449018dd760cb8d6f68e" FOREIGN KEY ("connection_id") REFERENCES "sso_connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "sso_identities" DROP CONSTRAINT "FK_38e81e7449018dd760cb8d6f68e"');
    await q.query('DROP TABLE "sso_settings"');
    await q.query('DROP INDEX "public"."IDX_915206cd10175e43b7d9200a53"');
    await q.query('DROP TABLE "sso_sessions"');
    await q.query('DROP INDEX "public"."IDX_82d2b35d8fc4a6e29a3718dca0"');
    await q.query('DROP INDEX "public"."IDX_17b0ed9f37917807a7072f71f9"');
    await q.query('DROP TABLE "sso_identities"');
    await q.query('DROP INDEX "public"."IDX_ed9d1dfb969ea4f935f80ed0e2"');
    await q.query('DROP INDEX "public"."sso_domains_verified_domain"');
    await q.query('DROP TABLE "sso_domains"');
    await q.query('DROP INDEX "public"."IDX_26dcfcd6c6ad22b1822628ba18"');
    await q.query('DROP TABLE "sso_connections"');
  }
}
