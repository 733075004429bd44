import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdentityTunnelsKeys1795583748385 implements MigrationInterface {
  name = 'IdentityTunnelsKeys1795583748385';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "signing_keys" ("kid" text NOT NULL, "alg" text NOT NULL DEFAULT \'EdDSA\', "public_jwk" jsonb NOT NULL, "private_key_sealed" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "rotate_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_13362ac3e792c69417e1a53d355" PRIMARY KEY ("kid"))',
    );
    await q.query(
      'CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "name" text NOT NULL, "role" text NOT NULL, "prefix" text NOT NULL, "key_hash" text NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_57384430aa1959f4578046c9b81" UNIQUE ("key_hash"), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_ba7f5748f500d24aa18041d043" ON "api_keys"  ("org_id") ');
    await q.query('CREATE INDEX "IDX_a3baee01d8408cd3c0f89a9a97" ON "api_keys"  ("user_id") ');
    await q.query(
      'CREATE TABLE "orgs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "slug" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_ed4cb7ee9ca5967c101d13bea4a" UNIQUE ("slug"), CONSTRAINT "PK_9eed8bfad4c9e0dc8648e090efe" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" text NOT NULL, "name" text NOT NULL DEFAULT \'\', "password_hash" text, "disabled_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "memberships" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_25d28bd932097a9e90495ede7b4" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_7c1e2fdfed4f6838e0c05ae505" ON "memberships"  ("user_id") ');
    await q.query(
      'CREATE UNIQUE INDEX "IDX_8a43e03ebb7e6f6486a1eab939" ON "memberships"  ("org_id", "user_id") ',
    );
    await q.query(
      'CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "session_id" uuid NOT NULL, "token_hash" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_a7838d2ba25be1342091b6695f1" UNIQUE ("token_hash"), CONSTRAINT "PK_7d8bee0204106019488c4c50ffa" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_3bf308fa93da3966f9e76fcfba" ON "refresh_tokens"  ("session_id") ');
    await q.query(
      'CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "org_id" uuid NOT NULL, "method" text NOT NULL DEFAULT \'password\', "ip" text, "user_agent" text, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_085d540d9f418cfbdc7bd55bb1" ON "sessions"  ("user_id") ');
    await q.query(
      'CREATE TABLE "authtokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "description" text NOT NULL DEFAULT \'\', "prefix" text NOT NULL, "token_hash" text NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_13340d7cf46288c57708e62bc49" UNIQUE ("token_hash"), CONSTRAINT "PK_f3b39c12f180990dc70c421a992" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_623ec9104ea916a3c7b5cb3a8c" ON "authtokens"  ("org_id") ');
    await q.query('CREATE INDEX "IDX_c2865c9d5fbcfb82a98a0267ab" ON "authtokens"  ("user_id") ');
    await q.query(
      'CREATE TABLE "relays" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "region" text NOT NULL, "public_host" text NOT NULL, "agent_port" integer NOT NULL, "http_port" integer NOT NULL, "https_port" integer NOT NULL, "capacity" integer NOT NULL, "load" integer NOT NULL, "weight" integer NOT NULL DEFAULT \'100\', "last_heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_8b76d454fb5ee97ef7624aa4cb0" UNIQUE ("name"), CONSTRAINT "PK_edb2a59ea8ab0fdddd74ca949ab" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE TABLE "reserved_addresses" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "port" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_060a17d7282f3414cfae1907157" UNIQUE ("port"), CONSTRAINT "PK_d749c8c10b1d98f9591ca97d2bc" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_e0ef328fe55b67d09403715846" ON "reserved_addresses"  ("org_id") ');
    await q.query(
      'CREATE TABLE "reserved_names" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "name" text NOT NULL, "tls_mode" text NOT NULL DEFAULT \'terminate\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_bd202044e5b7e1e85a0170304e0" UNIQUE ("name"), CONSTRAINT "PK_8f14deb216174a21f264f6ead82" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_d069dc2df0fb9a04544ba8c614" ON "reserved_names"  ("org_id") ');
    await q.query(
      'CREATE TABLE "tunnels" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "name" text NOT NULL, "proto" text NOT NULL, "url" text NOT NULL, "status" text NOT NULL DEFAULT \'offline\', "relay_id" uuid, "authtoken_id" uuid, "last_seen_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3fbdf81d4f41de370e8e0ad9135" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE UNIQUE INDEX "IDX_a5c31706fda4c5e7d5bb585f64" ON "tunnels"  ("org_id", "name", "proto") ',
    );
    await q.query(
      'ALTER TABLE "memberships" ADD CONSTRAINT "FK_8c6a511c72951c42e008f5537dc" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "memberships" ADD CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "memberships" DROP CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051"');
    await q.query('ALTER TABLE "memberships" DROP CONSTRAINT "FK_8c6a511c72951c42e008f5537dc"');
    await q.query('DROP INDEX "public"."IDX_a5c31706fda4c5e7d5bb585f64"');
    await q.query('DROP TABLE "tunnels"');
    await q.query('DROP INDEX "public"."IDX_d069dc2df0fb9a04544ba8c614"');
    await q.query('DROP TABLE "reserved_names"');
    await q.query('DROP INDEX "public"."IDX_e0ef328fe55b67d09403715846"');
    await q.query('DROP TABLE "reserved_addresses"');
    await q.query('DROP TABLE "relays"');
    await q.query('DROP INDEX "public"."IDX_c2865c9d5fbcfb82a98a0267ab"');
    await q.query('DROP INDEX "public"."IDX_623ec9104ea916a3c7b5cb3a8c"');
    await q.query('DROP TABLE "authtokens"');
    await q.query('DROP INDEX "public"."IDX_085d540d9f418cfbdc7bd55bb1"');
    await q.query('DROP TABLE "sessions"');
    await q.query('DROP INDEX "public"."IDX_3bf308fa93da3966f9e76fcfba"');
    await q.query('DROP TABLE "refresh_tokens"');
    await q.query('DROP INDEX "public"."IDX_8a43e03ebb7e6f6486a1eab939"');
    await q.query('DROP INDEX "public"."IDX_7c1e2fdfed4f6838e0c05ae505"');
    await q.query('DROP TABLE "memberships"');
    await q.query('DROP TABLE "users"');
    await q.query('DROP TABLE "orgs"');
    await q.query('DROP INDEX "public"."IDX_a3baee01d8408cd3c0f89a9a97"');
    await q.query('DROP INDEX "public"."IDX_ba7f5748f500d24aa18041d043"');
    await q.query('DROP TABLE "api_keys"');
    await q.query('DROP TABLE "signing_keys"');
  }
}
