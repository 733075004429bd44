import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tunnel status that converges after crashes: the boot a relay's rows belong to, and the
 * event sequence that last wrote each row (a full set from the relay must not undo a newer event).
 */
export class TunnelStatusTruth1796600000000 implements MigrationInterface {
  name = 'TunnelStatusTruth1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "relays" ADD "boot_id" text');
    await q.query('ALTER TABLE "relays" ADD "status_seq" bigint NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE "relays" ADD "set_seq" bigint NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE "tunnels" ADD "status_seq" bigint NOT NULL DEFAULT 0');
    await q.query('CREATE INDEX "IDX_tunnels_relay_status" ON "tunnels" ("relay_id", "status")');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_tunnels_relay_status"');
    await q.query('ALTER TABLE "tunnels" DROP COLUMN "status_seq"');
    await q.query('ALTER TABLE "relays" DROP COLUMN "set_seq"');
    await q.query('ALTER TABLE "relays" DROP COLUMN "status_seq"');
    await q.query('ALTER TABLE "relays" DROP COLUMN "boot_id"');
  }
}
