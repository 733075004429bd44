import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisPubSub } from '@fdt/ports';
import { BillingChannel, type EdgeLimits } from '@fdt/protocol';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { LiveLimits } from '../billing/live-limits.service.js';
import { EdgeModule } from '../edge.module.js';
import { type Edge, hostOf, startEdge, visit } from '../testing/harness.js';
import { listen, type Listening } from '../testing/origins.js';
import type { TestAgent } from '../testing/test-agent.js';

// The org's plan decides how long its inspected requests stay: each record the relay writes
// sets its tunnel log's expiry in Redis to the retention of the org's edge limits as they are
// now (read from the api, the fake one here, again on fdt.plan.changed).

const limits = (inspectionRetentionHours?: number): EdgeLimits => ({
  maxTunnels: 5,
  maxConnsPerTunnel: 50,
  bandwidthExceeded: false,
  ...(inspectionRetentionHours === undefined ? {} : { inspectionRetentionHours }),
});

describe('inspection retention at the edge (redis)', () => {
  const namespace = `retention_${randomBytes(4).toString('hex')}`;
  const org = 'org-retention';
  const tunnel = `ret-${randomBytes(3).toString('hex')}`;
  const key = `${namespace}:insp:${org}:${tunnel}`;
  let edge: Edge;
  let redis: Redis;
  let bus: RedisPubSub;
  let listening: Listening<http.Server>;
  let agent: TestAgent;
  let host: string;

  const live = () => edge.relay.app.select(EdgeModule).get(LiveLimits);
  /** Paths recorded for the tunnel, oldest first. */
  const recorded = async () =>
    (await redis.xrange(key, '-', '+')).map(([, f]) => (JSON.parse(f[1]) as { path: string }).path);
  /** Visits `path`, waits (bounded) until its record is in the log, and answers the key's TTL in seconds. */
  const recordAndTtl = async (path: string) => {
    expect((await visit(edge.relay.ports.http, host, { path })).status).toBe(200);
    const until = Date.now() + 5000;
    while (!(await recorded()).includes(path)) {
      if (Date.now() > until) throw new Error(`${path} was not recorded`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return redis.ttl(key);
  };
  /** The plan changes at the api and relays are told, as billing does it. */
  const planChanged = async (hours?: number) => {
    edge.api.edgeLimits.set(org, limits(hours));
    await bus.publish(BillingChannel.PlanChanged, { orgId: org, planId: 'some-plan' });
    await edge.api.waitFor('limits read', () => live().held(org)?.inspectionRetentionHours === hours);
  };

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: namespace,
    });
    redis = new Redis(TEST_REDIS_URL);
    bus = new RedisPubSub({ redis: TEST_REDIS_URL, namespace });
    listening = await listen(http.createServer((_req, res) => res.end('ok')));
    edge.api.edgeLimits.set(org, limits(48));
    agent = await edge.agent([{ id: 'w', proto: 'http', name: tunnel, local: listening.port }], { org });
    host = hostOf(agent.url('w'));
    await edge.api.waitFor('limits read', () => live().held(org)?.inspectionRetentionHours === 48);
  });
  afterAll(async () => {
    await agent?.close();
    await edge?.close();
    await Promise.all([listening?.close(), bus?.close()]);
    redis?.disconnect();
    await deleteRedisKeys([namespace]);
  });

  it("gives a tunnel's log the retention of the org's plan as its expiry, and a plan change applies from the next request", async () => {
    const two = await recordAndTtl('/two-days');
    expect(two).toBeGreaterThan(48 * 3600 - 60);
    expect(two).toBeLessThanOrEqual(48 * 3600);

    // Lowered: the next record's expiry replaces the longer one (the whole log goes in an hour).
    await planChanged(1);
    const one = await recordAndTtl('/one-hour');
    expect(one).toBeGreaterThan(3600 - 60);
    expect(one).toBeLessThanOrEqual(3600);
  });

  it('records nothing for a plan that keeps no requests, and a day when the api does not say (an older api)', async () => {
    await planChanged(0);
    expect((await visit(edge.relay.ports.http, host, { path: '/kept-none' })).status).toBe(200);

    await planChanged(undefined);
    const day = await recordAndTtl('/no-word');
    expect(day).toBeGreaterThan(86_400 - 60);
    expect(day).toBeLessThanOrEqual(86_400);
    // Records are appended as exchanges end, one after the other here: the one at 0 h would be before.
    expect(await recorded()).toEqual(['/two-days', '/one-hour', '/no-word']);
  });
});
