import type { MigrationInterface, QueryRunner } from 'typeorm';

// The default catalog. Free is today's behaviour, so that an install that charges nobody
// (manual provider, every org on free) keeps working unchanged: its tunnels, connections,
// reserved names and TCP ports are always read from FDT_PLAN_* (EntitlementsService overlays
// them; the numbers stored here are only what the catalog shows when config is absent), and
// domains, members and bandwidth are as unbounded as before billing (100 domains is the
// domains lib's own table bound). A hosted installation tightens free in the catalog.
const GiB = 1024 ** 3;
const DEFAULT_PLANS = [
  {
    id: 'free',
    name: 'Free',
    sort: 0,
    limits: {
      maxTunnels: 10,
      maxConnsPerTunnel: 1000,
      maxReservedNames: 20,
      maxReservedTcpPorts: 10,
      maxDomains: 100,
      maxMembers: null,
      bandwidthBytesPerMonth: null,
    },
    features: { sso: true, scim: true, inspectionRetentionHours: 24, regions: null },
  },
  {
    id: 'pro',
    name: 'Pro',
    sort: 10,
    limits: {
      maxTunnels: 25,
      maxConnsPerTunnel: 2000,
      maxReservedNames: 50,
      maxReservedTcpPorts: 25,
      maxDomains: 100,
      maxMembers: 25,
      bandwidthBytesPerMonth: 500 * GiB,
    },
    features: { sso: true, scim: false, inspectionRetentionHours: 72, regions: null },
  },
  {
    id: 'business',
    name: 'Business',
    sort: 20,
    limits: {
      maxTunnels: 100,
      maxConnsPerTunnel: 5000,
      maxReservedNames: 250,
      maxReservedTcpPorts: 100,
      maxDomains: 100,
      maxMembers: 250,
      bandwidthBytesPerMonth: 5000 * GiB,
    },
    features: { sso: true, scim: true, inspectionRetentionHours: 168, regions: null },
  },
  {
    id: 'enterprise',
    name: 'Enterprise',
    sort: 30,
    limits: {
      maxTunnels: 500,
      maxConnsPerTunnel: 20000,
      maxReservedNames: null,
      maxReservedTcpPorts: null,
      maxDomains: 100,
      maxMembers: null,
      bandwidthBytesPerMonth: null,
    },
    features: { sso: true, scim: true, inspectionRetentionHours: 720, regions: null },
  },
];

/**
 * Billing (libs/server/billing): the plan catalog with its defaults, each org's subscription,
 * the append-only finance ledger, stored provider webhooks (unique per provider and event id)
 * and bytes per org per month.
 */
export class Billing1796610000000 implements MigrationInterface {
  name = 'Billing1796610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "billing_plans" ("id" text NOT NULL, "name" text NOT NULL, "sort" integer NOT NULL DEFAULT '0', "active" boolean NOT NULL DEFAULT true, "limits" jsonb NOT NULL, "features" jsonb NOT NULL, "prices" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f5dd8c47fbdcd68a43b97f9795e" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "billing_subscriptions" ("org_id" uuid NOT NULL, "plan_id" text NOT NULL, "provider" text NOT NULL DEFAULT 'manual', "customer_id" text, "subscription_id" text, "status" text NOT NULL DEFAULT 'active', "cancel_at_period_end" boolean NOT NULL DEFAULT false, "current_period_end" TIMESTAMP WITH TIME ZONE, "provider_updated_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8b88541a524ba0a6440b2b30902" PRIMARY KEY ("org_id"))`,
    );
    await q.query(
      'CREATE UNIQUE INDEX "billing_subscriptions_provider_subscription_key" ON "billing_subscriptions" ("provider", "subscription_id")',
    );
    await q.query(
      `ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "FK_8b88541a524ba0a6440b2b30902" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `CREATE TABLE "billing_finance_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "type" text NOT NULL, "provider" text NOT NULL, "amount_minor" bigint, "currency" text, "reference" text, "data" jsonb NOT NULL DEFAULT '{}', "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8c1b792d4cbab0ed39e7a79f468" PRIMARY KEY ("id"))`,
    );
    await q.query(
      'CREATE INDEX "billing_finance_events_org_occurred_idx" ON "billing_finance_events" ("org_id", "occurred_at")',
    );
    await q.query(
      `CREATE TABLE "billing_webhook_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "provider" text NOT NULL, "event_id" text NOT NULL, "type" text NOT NULL, "payload" jsonb NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "event_created_at" TIMESTAMP WITH TIME ZONE, "status" text NOT NULL DEFAULT 'received', "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "processed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a4c2d2eae68da905a0b6063d0ea" PRIMARY KEY ("id"))`,
    );
    await q.query(
      'CREATE UNIQUE INDEX "billing_webhook_events_provider_event_key" ON "billing_webhook_events" ("provider", "event_id")',
    );
    await q.query(
      'CREATE INDEX "billing_webhook_events_status_received_idx" ON "billing_webhook_events" ("status", "received_at")',
    );
    await q.query(
      `CREATE TABLE "billing_usage" ("org_id" uuid NOT NULL, "period" text NOT NULL, "bytes" bigint NOT NULL DEFAULT '0', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0d9870cf19c6d0829817dd0efa6" PRIMARY KEY ("org_id", "period"))`,
    );
    await q.query(
      `ALTER TABLE "billing_usage" ADD CONSTRAINT "FK_a87e80312ec12faccb7af30eafe" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    for (const p of DEFAULT_PLANS) {
      await q.query(
        'INSERT INTO "billing_plans" ("id", "name", "sort", "active", "limits", "features", "prices") VALUES ($1, $2, $3, true, $4, $5, \'{}\')',
        [p.id, p.name, p.sort, JSON.stringify(p.limits), JSON.stringify(p.features)],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "billing_usage"');
    await q.query('DROP TABLE "billing_webhook_events"');
    await q.query('DROP TABLE "billing_finance_events"');
    await q.query('DROP TABLE "billing_subscriptions"');
    await q.query('DROP TABLE "billing_plans"');
  }
}
