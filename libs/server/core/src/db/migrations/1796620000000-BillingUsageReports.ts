import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox that makes relay usage reports exactly-once: UsageService inserts (relay, boot,
 * seq) in the same transaction as the bytes it adds, so a report sent again, or a job run
 * again after a worker crash between its commit and its ack, adds nothing. No entity: plain
 * SQL in UsageService; rows older than a week are deleted there.
 */
export class BillingUsageReports1796620000000 implements MigrationInterface {
  name = 'BillingUsageReports1796620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "billing_usage_reports" (
      "relay_name" text NOT NULL,
      "boot_id" text NOT NULL,
      "seq" bigint NOT NULL,
      "received_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "PK_billing_usage_reports" PRIMARY KEY ("relay_name", "boot_id", "seq")
    )`);
    await q.query(
      'CREATE INDEX "billing_usage_reports_received_idx" ON "billing_usage_reports" ("received_at")',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE "billing_usage_reports"');
  }
}
