import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryPubSub } from '@fdt/ports';
import { ControlChannel, edgeBasicAuthKey, edgeBasicAuthVerifier, type EdgePolicy } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { RoutingTable } from './routing/routing-table.js';
import { type Edge, hostOf, startEdge, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { HandshakeRefused } from './testing/test-agent.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('basic auth at the edge', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  /** A verifier as the api stores it for (org, tunnel, user, password), keyed by the relay secret. */
  let verifier: (org: string, tunnel: string, user: string, password: string) => string;

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    origin = await listen(http.createServer((req, res) => res.end(`origin ${req.url}`)));
    const key = edgeBasicAuthKey(edge.config.relay.secret);
    verifier = (org, tunnel, user, password) => edgeBasicAuthVerifier(key, { org, tunnel }, user, password);
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it("takes an org's basic auth from the api (relay secret), not from the session token", async () => {
    edge.api.policies.set('org-ba/vault', {
      basicAuth: [{ user: 'ops', verifier: verifier('org-ba', 'vault', 'ops', 'correct horse') }],
    });
    const agent = await edge.agent([{ id: 'w', proto: 'http', name: 'vault', local: origin.port }], {
      sub: 'at-ba',
      org: 'org-ba',
      // What the api now puts in a token: the users' names, no hash of any kind.
      tunnelPolicies: { vault: { basicAuthUsers: ['ops'] } },
    });
    const host = hostOf(agent.url('w'));
    expect((await visit(edge.relay.ports.http, host)).status).toBe(401);
    expect((await visit(edge.relay.ports.http, host, { headers: { authorization: basic('ops', 'nope') } })).status).toBe(
      401,
    );
    const ok = await visit(edge.relay.ports.http, host, { headers: { authorization: basic('ops', 'correct horse') } });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('origin /');
    // Asked of the api with the relay secret (the fake api refuses anything else).
    expect(edge.api.requests.some((r) => r.url === '/api/v1/relays/policies/org-ba/vault')).toBe(true);
    await agent.close();
  });

  it('grants no tunnel whose basic auth it could not fetch (fails closed)', async () => {
    edge.api.policiesStatus = 503;
    try {
      const e = await edge
        .agent([{ id: 'w', proto: 'http', name: 'locked', local: origin.port }], {
          sub: 'at-locked',
          org: 'org-locked',
          tunnelPolicies: { locked: { basicAuthUsers: ['ops'] } },
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(e).toBeInstanceOf(HandshakeRefused);
      expect((e as HandshakeRefused).reply).toMatchObject({ code: 'internal_error', tunnelId: 'w' });
      expect(edge.relay.app.get(RoutingTable).byHost('locked.localhost')).toBeUndefined();
    } finally {
      edge.api.policiesStatus = 200;
    }
  });

  it('answers 300 wrong guesses fast (no slow hash per guess), and right ones from the agent and the org still pass', async () => {
    edge.api.policies.set('org-flood/guarded', {
      basicAuth: [{ user: 'admin', verifier: verifier('org-flood', 'guarded', 'admin', 'org password') }],
    });
    const agent = await edge.agent(
      [
        {
          id: 'w',
          proto: 'http',
          name: 'guarded',
          local: origin.port,
          basicAuth: [{ user: 'dev', password: 'agent password' }],
        },
      ],
      { sub: 'at-flood', org: 'org-flood', tunnelPolicies: { guarded: { basicAuthUsers: ['admin'] } } },
    );
    const host = hostOf(agent.url('w'));
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 10 });
    try {
      const t0 = Date.now();
      let next = 0;
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < 300) {
            const i = next++;
            const user = i % 2 ? 'admin' : 'dev';
            const r = await visit(edge.relay.ports.http, host, {
              agent: keepAlive,
              headers: { authorization: basic(user, `guess ${i}`) },
            });
            statuses.push(r.status);
          }
        }),
      );
      const elapsed = Date.now() - t0;
      expect(statuses).toHaveLength(300);
      expect(statuses.every((s) => s === 401)).toBe(true);
      // argon2id at the house cost takes tens to hundreds of ms a guess on the thread pool (4
      // at once): 300 guesses would take many seconds. Two HMACs a guess take microseconds.
      expect(elapsed).toBeLessThan(5000);
      for (const [user, pass] of [
        ['dev', 'agent password'],
        ['admin', 'org password'],
      ]) {
        const t = Date.now();
        const r = await visit(edge.relay.ports.http, host, { agent: keepAlive, headers: { authorization: basic(user, pass) } });
        expect(r.status).toBe(200);
        expect(Date.now() - t).toBeLessThan(1000);
      }
    } finally {
      keepAlive.destroy();
      await agent.close();
    }
  });

  it('applies basic auth an admin sets later over pub/sub, with verifiers only (a random name too)', async () => {
    const agent = await edge.agent([{ id: 'w', proto: 'http', local: origin.port }], {
      sub: 'at-later',
      org: 'org-later',
    });
    const host = hostOf(agent.url('w'));
    // The admin edits the tunnel under the name it was given.
    const name = agent.welcome.tunnels[0].name;
    expect((await visit(edge.relay.ports.http, host)).status).toBe(200);
    const bus = new MemoryPubSub({ namespace: edge.config.portsNamespace });
    const policy: EdgePolicy = {
      basicAuth: [{ user: 'ops', verifier: verifier('org-later', name, 'ops', 'pub sub secret') }],
    };
    await bus.publish(ControlChannel.PolicyChanged, { orgId: 'org-later', tunnel: name, policy });
    let status = 0;
    for (let i = 0; i < 40 && status !== 401; i++) {
      status = (await visit(edge.relay.ports.http, host)).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(401);
    const ok = await visit(edge.relay.ports.http, host, { headers: { authorization: basic('ops', 'pub sub secret') } });
    expect(ok.status).toBe(200);
    await bus.close();
    await agent.close();
  });
});
