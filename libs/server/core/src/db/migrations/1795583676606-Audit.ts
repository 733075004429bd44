import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Audit1795583676606 implements MigrationInterface {
  name = 'Audit1795583676606';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE "audit_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "org_id" uuid NOT NULL, "seq" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_type" text NOT NULL, "actor_id" text, "actor_label" text, "action" text NOT NULL, "target_type" text NOT NULL, "target_id" text, "ip" text, "user_agent" character varying(512), "summary" jsonb NOT NULL DEFAULT \'{}\', "prev_hash" text NOT NULL, "hash" text NOT NULL, CONSTRAINT "audit_events_chain_check" CHECK (seq >= 1 AND hash ~ \'^[0-9a-f]{64}$\' AND prev_hash ~ \'^[0-9a-f]{64}$\'), CONSTRAINT "audit_events_actor_type_check" CHECK (actor_type IN (\'user\', \'api_key\', \'agent\', \'scim\', \'system\')), CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id"))',
    );
    await q.query('CREATE INDEX "audit_events_org_id_action_idx" ON "audit_events"  ("org_id", "action") ');
    await q.query('CREATE INDEX "audit_events_org_id_id_idx" ON "audit_events"  ("org_id", "id" DESC) ');
    await q.query('CREATE UNIQUE INDEX "audit_events_org_id_seq_key" ON "audit_events"  ("org_id", "seq") ');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "public"."audit_events_org_id_seq_key"');
    await q.query('DROP INDEX "public"."audit_events_org_id_id_idx"');
    await q.query('DROP INDEX "public"."audit_events_org_id_action_idx"');
    await q.query('DROP TABLE "audit_events"');
  }
}
