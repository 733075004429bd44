import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Scim1795593850504 implements MigrationInterface {
  name = 'Scim1795593850504';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "scim_groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "display_name" text NOT NULL, "display_name_key" text NOT NULL, "external_id" text, "role" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8bacda70f9d3c4028b3abe53874" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE UNIQUE INDEX "IDX_369e45edd661052ec0a1fefd9a" ON "scim_groups"  ("org_id", "display_name_key") ',
    );
    await q.query(
      'CREATE TABLE "scim_group_members" ("group_id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8b10e33ba5676208fb52a83bb89" PRIMARY KEY ("group_id", "user_id"))',
    );
    await q.query('CREATE INDEX "IDX_462aa1775cd60740c884ac91cc" ON "scim_group_members"  ("user_id") ');
    await q.query(
      'CREATE TABLE "scim_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "description" text NOT NULL DEFAULT \'\', "prefix" text NOT NULL, "token_hash" text NOT NULL, "created_by" uuid, "last_used_at" TIMESTAMP WITH TIME ZONE, "last_use_audited_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_2f0bba718f72bfe82a482a10934" UNIQUE ("token_hash"), CONSTRAINT "PK_5e368798dfa88b0d9fb185e8901" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "IDX_4e51d800600f6b1b974ebdb728" ON "scim_tokens"  ("org_id") ');
    await q.query(
      'CREATE TABLE "scim_users" ("org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "user_name" text, "external_id" text, "given_name" text, "family_name" text, "formatted_name" text, "display_name" text, "emails" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d5df4319713374e22410a412925" PRIMARY KEY ("org_id", "user_id"))',
    );
    await q.query('CREATE INDEX "IDX_c3073abd55c09b51fb5873ef04" ON "scim_users"  ("user_id") ');
    await q.query(
      'CREATE INDEX "IDX_7281a5568be48e31efb2299b93" ON "scim_users"  ("org_id", "external_id") ',
    );
    await q.query('ALTER TABLE "memberships" ADD "deactivated_at" TIMESTAMP WITH TIME ZONE');
    await q.query(
      'ALTER TABLE "scim_groups" ADD CONSTRAINT "FK_b98f7edefbec79529f253057273" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "scim_group_members" ADD CONSTRAINT "FK_e789fd51be503273b27723fd9a9" FOREIGN KEY ("group_id") REFERENCES "scim_groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "scim_group_members" ADD CONSTRAINT "FK_462aa1775cd60740c884ac91cc0" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "scim_tokens" ADD CONSTRAINT "FK_4e51d800600f6b1b974ebdb7282" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "scim_users" ADD CONSTRAINT "FK_9d78f0d4200c815ba5ae77fe77e" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await q.query(
      'ALTER TABLE "scim_users" ADD CONSTRAINT "FK_c3073abd55c09b51fb5873ef040" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "scim_users" DROP CONSTRAINT "FK_c3073abd55c09b51fb5873ef040"');
    await q.query('ALTER TABLE "scim_users" DROP CONSTRAINT "FK_9d78f0d4200c815ba5ae77fe77e"');
    await q.query('ALTER TABLE "scim_tokens" DROP CONSTRAINT "FK_4e51d800600f6b1b974ebdb7282"');
    await q.query('ALTER TABLE "scim_group_members" DROP CONSTRAINT "FK_462aa1775cd60740c884ac91cc0"');
    await q.query('ALTER TABLE "scim_group_members" DROP CONSTRAINT "FK_e789fd51be503273b27723fd9a9"');
    await q.query('ALTER TABLE "scim_groups" DROP CONSTRAINT "FK_b98f7edefbec79529f253057273"');
    await q.query('ALTER TABLE "memberships" DROP COLUMN "deactivated_at"');
    await q.query('DROP INDEX "public"."IDX_7281a5568be48e31efb2299b93"');
    await q.query('DROP INDEX "public"."IDX_c3073abd55c09b51fb5873ef04"');
    await q.query('DROP TABLE "scim_users"');
    await q.query('DROP INDEX "public"."IDX_4e51d800600f6b1b974ebdb728"');
    await q.query('DROP TABLE "scim_tokens"');
    await q.query('DROP INDEX "public"."IDX_462aa1775cd60740c884ac91cc"');
    await q.query('DROP TABLE "scim_group_members"');
    await q.query('DROP INDEX "public"."IDX_369e45edd661052ec0a1fefd9a"');
    await q.query('DROP TABLE "scim_groups"');
  }
}
