import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Certificates for custom hostnames (managed by ACME or uploaded) and the installation's ACME accounts. */
export class Certificates1796590000500 implements MigrationInterface {
  name = 'Certificates1796590000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "acme_accounts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "directory_url" text NOT NULL, "email" text, "account_url" text NOT NULL, "key_sealed" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b98524e9b85d940025f4284f7c8" UNIQUE ("directory_url"), CONSTRAINT "PK_30ed14a27d166ca113f4a33c871" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "certificates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid, "hostname" text NOT NULL, "hostnames" text array NOT NULL, "source" text NOT NULL, "challenge" text, "status" text NOT NULL, "cert_pem" text, "key_sealed" text, "not_before" TIMESTAMP WITH TIME ZONE, "not_after" TIMESTAMP WITH TIME ZONE, "issuer" text, "last_error" text, "attempts" integer NOT NULL DEFAULT \'0\', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "generation" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_c0fb60f80a7599032704ec7fd2b" UNIQUE ("hostname"), CONSTRAINT "PK_e4c7e31e2144300bea7d89eb165" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_a4690fe5cc48f9ea9db0a53948" ON "certificates"  ("org_id") ');
    await q.query('CREATE INDEX "IDX_37158d016501fe54787dace61d" ON "certificates"  ("next_attempt_at") ');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."IDX_37158d016501fe54787dace61d"');
    await q.query('DROP INDEX "public"."IDX_a4690fe5cc48f9ea9db0a53948"');
    await q.query('DROP TABLE "certificates"');
    await q.query('DROP TABLE "acme_accounts"');
  }
}
