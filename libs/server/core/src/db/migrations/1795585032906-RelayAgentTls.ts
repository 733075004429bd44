import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RelayAgentTls1795585032906 implements MigrationInterface {
  name = 'RelayAgentTls1795585032906';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "relays" ADD "agent_tls" boolean NOT NULL DEFAULT false');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "relays" DROP COLUMN "agent_tls"');
  }
}
