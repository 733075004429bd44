import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AdminPoliciesInvitations1795593410161 implements MigrationInterface {
  name = 'AdminPoliciesInvitations1795593410161';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "member_invitations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "token_hash" text NOT NULL, "invited_by" uuid, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "accepted_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_5258548852a6654ce6c87569b66" UNIQUE ("token_hash"), CONSTRAINT "PK_a1fd05426cf1c1d7113bd4e4143" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE INDEX "IDX_08738dbf2ad778a0c2bb27deff" ON "member_invitations"  ("org_id", "user_id") ',
    );
    await q.query(
      'CREATE TABLE "tunnel_policies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "name" text NOT NULL, "basic_auth" jsonb NOT NULL DEFAULT \'[]\', "allow_cidrs" jsonb NOT NULL DEFAULT \'[]\', "deny_cidrs" jsonb NOT NULL DEFAULT \'[]\', "max_conns" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_84028c8b386c15533c6fa2940c9" PRIMARY KEY ("id"))',
    );
    await q.query(
      'CREATE UNIQUE INDEX "IDX_5bd582df0aa0ba406fde554798" ON "tunnel_policies"  ("org_id", "name") ',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."IDX_5bd582df0aa0ba406fde554798"');
    await q.query('DROP TABLE "tunnel_policies"');
    await q.query('DROP INDEX "public"."IDX_08738dbf2ad778a0c2bb27deff"');
    await q.query('DROP TABLE "member_invitations"');
  }
}
