import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPorts, type Ports } from '@fdt/ports';
import { changedDomainKey, ControlChannel, type DomainChangedMessage } from '@fdt/protocol';
import { TEST_REDIS_URL, type TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

/** What relays hear on `fdt.domain.changed`, with whether the row was still there on arrival. */
interface Heard {
  message: DomainChangedMessage;
  rowsOnArrival: number;
}

describe('custom domains: relays are told after a removal or TLS switch commits (fdt.domain.changed)', () => {
  let h: Harness;
  let owner: TestClient;
  let orgId: string;
  let ports: Ports;
  let unsubscribe: () => Promise<void>;
  const heard: Heard[] = [];

  /** A domain as DNS verification leaves it (verification itself is domains.int-spec's). */
  async function verified(hostname: string): Promise<string> {
    const res = await owner.post('/api/v1/domains', { hostname });
    expect(res.status).toBe(201);
    await h.ds.query(`UPDATE domains SET status = 'verified', verified_at = now() WHERE id = $1`, [
      res.body.id,
    ]);
    return res.body.id as string;
  }

  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    h = await startHarness({ FDT_BASE_DOMAIN: 'tunnels.example.test' });
    ({ client: owner, orgId } = await h.signup());
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    unsubscribe = await ports.pubsub.subscribe<DomainChangedMessage>(
      ControlChannel.DomainChanged,
      (message) => {
        // Read from another connection on arrival: a message sent before the commit would
        // still see the row (removal) or the old mode.
        void h.ds
          .query('SELECT tls_mode FROM domains WHERE org_id = $1 AND hostname = $2', [
            message.orgId,
            message.hostname,
          ])
          .then((rows: { tls_mode: string }[]) => {
            const stillOld = rows.filter((r) => r.tls_mode !== message.tlsMode).length;
            heard.push({ message, rowsOnArrival: stillOld });
          });
      },
    );
  });
  afterAll(async () => {
    await unsubscribe?.();
    await ports?.close();
    await h?.close();
  });

  it('publishes a removal after the commit, with the marker relays load at start', async () => {
    const id = await verified('gone.customer.test');
    const before = Date.now();
    expect((await owner.delete(`/api/v1/domains/${id}`)).status).toBe(204);
    await settle();
    expect(heard).toEqual([
      {
        message: {
          orgId,
          hostname: 'gone.customer.test',
          tlsMode: null,
          at: expect.any(Number),
          until: expect.any(Number),
        },
        rowsOnArrival: 0,
      },
    ]);
    const { at, until } = heard[0].message;
    expect(at).toBeGreaterThanOrEqual(before);
    expect(until - at).toBe(h.config.auth.agentSessionTtl * 1000);
    const marker = await ports.registry.get(changedDomainKey(orgId, 'gone.customer.test'));
    expect(JSON.parse(marker ?? 'null')).toEqual(heard[0].message);
  });

  it('publishes a TLS mode switch of a verified domain with the new mode; nothing when the mode stays', async () => {
    heard.length = 0;
    const id = await verified('switch.customer.test');
    expect((await owner.patch(`/api/v1/domains/${id}`, { tlsMode: 'passthrough' })).status).toBe(200);
    expect((await owner.patch(`/api/v1/domains/${id}`, { tlsMode: 'passthrough' })).status).toBe(200);
    await settle();
    expect(heard.map((x) => [x.message.hostname, x.message.tlsMode, x.rowsOnArrival])).toEqual([
      ['switch.customer.test', 'passthrough', 0],
    ]);
  });

  it('publishes nothing for a delete that rolled back, nor for a domain never verified (no token carried it)', async () => {
    heard.length = 0;
    const id = await verified('kept.customer.test');
    // The audit row of the removal fails inside the transaction: the delete rolls back.
    await h.ds.query(`
      CREATE FUNCTION test_refuse_domain_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$`);
    await h.ds.query(`
      CREATE TRIGGER test_refuse_domain_removed BEFORE INSERT ON audit_events
      FOR EACH ROW WHEN (NEW.action = 'domain.removed') EXECUTE FUNCTION test_refuse_domain_removed()`);
    try {
      expect((await owner.delete(`/api/v1/domains/${id}`)).status).toBe(500);
    } finally {
      await h.ds.query('DROP TRIGGER test_refuse_domain_removed ON audit_events');
      await h.ds.query('DROP FUNCTION test_refuse_domain_removed()');
    }
    expect((await owner.get(`/api/v1/domains/${id}`)).body.status).toBe('verified');

    const pending = await owner.post('/api/v1/domains', { hostname: 'pending.customer.test' });
    expect((await owner.delete(`/api/v1/domains/${pending.body.id}`)).status).toBe(204);
    await settle();
    expect(heard).toEqual([]);
    expect(await ports.registry.get(changedDomainKey(orgId, 'kept.customer.test'))).toBeUndefined();
  });
});
