import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Custom domains (libs/server/domains): one org per hostname, DNS verification state, re-check schedule. */
export class Domains1796590000000 implements MigrationInterface {
  name = 'Domains1796590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "domains" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "hostname" text NOT NULL, "wildcard" boolean NOT NULL DEFAULT false, "status" text NOT NULL DEFAULT 'pending_verification', "tls_mode" text NOT NULL DEFAULT 'terminate', "certificate_source" text NOT NULL DEFAULT 'managed', "challenge" text NOT NULL, "bound_name" text, "verified_at" TIMESTAMP WITH TIME ZONE, "last_checked_at" TIMESTAMP WITH TIME ZONE, "last_error_code" text, "last_error" text, "check_attempts" integer NOT NULL DEFAULT '0', "next_check_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_dfe639508dff3edae52e4f041bf" UNIQUE ("hostname"), CONSTRAINT "PK_05a6b087662191c2ea7f7ddfc4d" PRIMARY KEY ("id"))`,
    );
    await q.query('CREATE INDEX "IDX_204945a5bebd3d527c4e6d2c5b" ON "domains" ("org_id")');
    await q.query(
      'CREATE INDEX "domains_recheck_due" ON "domains" ("next_check_at") WHERE "next_check_at" IS NOT NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "domains"');
  }
}
