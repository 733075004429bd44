import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryPubSub } from '@fdt/ports';
import {
  ControlChannel,
  encodeFrame,
  FrameType,
  HandshakeErrorCode,
  MAX_FRAME_BYTES,
  MUX_FRAME_HEADER,
  MuxCode,
  MuxLimits,
  PROTOCOL_VERSION,
  writeFrameHeader,
} from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { type Edge, hostOf, startEdge, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { RoutingTable } from './routing/routing-table.js';
import { HandshakeRefused, rawHandshake, readFrame } from './testing/test-agent.js';

/** A mux frame header claiming `length` payload bytes. */
function frameHead(length: number, type: FrameType): Buffer {
  const b = Buffer.alloc(MUX_FRAME_HEADER);
  writeFrameHeader(b, 0, length, type, 0, 1);
  return b;
}

const hello = (token: string, over: Record<string, unknown> = {}) => ({
  type: 'hello',
  version: PROTOCOL_VERSION,
  token,
  tunnels: [{ id: 'web', proto: 'http' }],
  ...over,
});

describe('agent handshake', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  let other: Listening<http.Server>;

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    origin = await listen(http.createServer((req, res) => res.end(`origin ${req.url}`)));
    other = await listen(http.createServer((req, res) => res.end(`other ${req.url}`)));
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    await other?.close();
  });

  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
    return e.reply;
  };

  it.each([
    [
      'a frame that is not JSON',
      () => Buffer.concat([Buffer.from([0, 0, 0, 9]), Buffer.from('{not json')]),
      'malformed_frame',
    ],
    [
      'an oversize frame',
      () =>
        Buffer.from([
          (MAX_FRAME_BYTES + 1) >>> 24,
          ((MAX_FRAME_BYTES + 1) >>> 16) & 0xff,
          ((MAX_FRAME_BYTES + 1) >>> 8) & 0xff,
          (MAX_FRAME_BYTES + 1) & 0xff,
        ]),
      'frame_too_large',
    ],
    ['another protocol version', () => encodeFrame(hello('x', { version: 99 })), 'version_unsupported'],
    ['a hello with unknown fields', () => encodeFrame(hello('x', { extra: 1 })), 'bad_request'],
    ['a token that is not a JWT', () => encodeFrame(hello('not-a-jwt')), 'auth_failed'],
  ])('answers %s with an error frame and closes', async (_, bytes, code) => {
    const r = await rawHandshake(edge.relay.ports.agent, bytes());
    expect(r.reply).toMatchObject({ type: 'error', code });
    expect(r.reply?.message.length).toBeGreaterThan(5);
    expect(r.closed).toBe(true);
  });

  it('refuses tokens signed by an unknown key, for another audience, of another type, or expired', async () => {
    const api = edge.api;
    for (const token of [
      await api.token({}, { unpublished: true }),
      await api.token({}, { audience: 'someone-else' }),
      await api.token({}, { typ: 'JWT' }),
      await api.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    ]) {
      const r = await rawHandshake(edge.relay.ports.agent, encodeFrame(hello(token)));
      expect(r.reply).toMatchObject({ code: HandshakeErrorCode.AuthFailed });
      expect(r.closed).toBe(true);
    }
  });

  it('refuses a malformed CIDR (bad_request), an unreserved port (policy_denied), too many tunnels (plan_limit)', async () => {
    expect(
      await refusal(
        edge.agent([{ id: 'a', proto: 'http', local: origin.port, allowCidrs: ['10.0.0.0/99'] }]),
      ),
    ).toMatchObject({ code: 'bad_request', tunnelId: 'a' });
    expect(
      await refusal(edge.agent([{ id: 't', proto: 'tcp', port: edge.tcpPorts.first, local: origin.port }])),
    ).toMatchObject({ code: 'policy_denied', tunnelId: 't' });
    const three = ['a', 'b', 'c'].map((id) => ({ id, proto: 'http' as const, local: origin.port }));
    expect(
      await refusal(edge.agent(three, { limits: { maxTunnels: 2, maxConnsPerTunnel: 10 } })),
    ).toMatchObject({ code: 'plan_limit' });
  });

  it('keeps serving agents after all those failures', async () => {
    const agent = await edge.agent([{ id: 'web', proto: 'http', name: 'still-fine', local: origin.port }]);
    expect((await visit(edge.relay.ports.http, hostOf(agent.url('web')), { path: '/ok' })).text).toBe(
      'origin /ok',
    );
    await agent.close();
  });

  it('closes the link of an agent that breaks the mux framing (GOAWAY with a code), and nobody else', async () => {
    const cases: Array<[string, Buffer, number]> = [
      [
        'an oversize DATA frame',
        frameHead(MuxLimits.dataPayload + 1, FrameType.Data),
        MuxCode.FrameSizeError,
      ],
      ['an unknown frame type', frameHead(0, 42 as FrameType), MuxCode.ProtocolError],
    ];
    const keep = await edge.agent([{ id: 'w', proto: 'http', name: 'mux-good', local: origin.port }]);
    for (const [what, bytes, code] of cases) {
      const bad = await edge.agent([{ id: 'w', proto: 'http', name: 'mux-bad', local: origin.port }]);
      expect((await visit(edge.relay.ports.http, hostOf(bad.url('w')))).status).toBe(200);
      bad.writeRaw(bytes);
      const goaway = await bad.goaway;
      expect([what, goaway.code]).toEqual([what, code]);
      await bad.closed;
      expect((await visit(edge.relay.ports.http, hostOf(bad.url('w')))).status).toBe(503);
      expect((await visit(edge.relay.ports.http, hostOf(keep.url('w')))).status).toBe(200);
    }
    await keep.close();
  });

  it('gives a name to one authtoken at a time, and honours reservations', async () => {
    const first = await edge.agent([{ id: 'w', proto: 'http', name: 'shared', local: origin.port }], {
      sub: 'at-a',
      org: 'org-a',
    });
    expect(
      await refusal(
        edge.agent([{ id: 'w', proto: 'http', name: 'shared', local: other.port }], {
          sub: 'at-b',
          org: 'org-a',
        }),
      ),
    ).toMatchObject({
      code: 'name_taken',
      tunnelId: 'w',
    });
    // Reserved by another org at the api: taken. Reserved by this org: granted.
    edge.api.reservations.set('theirs', 'org-z');
    edge.api.reservations.set('ours', 'org-b');
    expect(
      await refusal(
        edge.agent([{ id: 'w', proto: 'http', name: 'theirs', local: other.port }], {
          sub: 'at-b',
          org: 'org-b',
        }),
      ),
    ).toMatchObject({ code: 'name_taken' });
    const ours = await edge.agent([{ id: 'w', proto: 'http', name: 'ours', local: other.port }], {
      sub: 'at-b',
      org: 'org-b',
    });
    expect(ours.url('w')).toBe(`http://ours.localhost:${edge.relay.ports.http}`);
    // A name in the token's claims (the org's reservation) wins over another org holding it.
    const reclaimed = await edge.agent([{ id: 'w', proto: 'http', name: 'shared', local: other.port }], {
      sub: 'at-c',
      org: 'org-c',
      hosts: [{ name: 'shared', host: 'shared.localhost', tls: 'terminate' }],
    });
    expect((await visit(edge.relay.ports.http, hostOf(reclaimed.url('w')), { path: '/r' })).text).toBe(
      'other /r',
    );
    await first.closed;
    await Promise.all([ours.close(), reclaimed.close()]);
  });

  it('gives a reconnecting agent its name back and closes the session it replaces', async () => {
    const before = await edge.agent([{ id: 'w', proto: 'http', name: 'comeback', local: origin.port }], {
      sub: 'at-r',
    });
    const url = before.url('w');
    await edge.api.waitFor('online', () =>
      edge.api.events().some((e) => e.name === 'comeback' && e.status === 'online'),
    );
    const after = await edge.agent([{ id: 'w', proto: 'http', name: 'comeback', local: other.port }], {
      sub: 'at-r',
    });
    expect(after.url('w')).toBe(url);
    await before.closed;
    expect((await visit(edge.relay.ports.http, hostOf(url), { path: '/x' })).text).toBe('other /x');
    // The replaced session's exit does not take the name offline at the api.
    await new Promise((r) => setTimeout(r, 300));
    expect(
      edge.api
        .events()
        .filter((e) => e.name === 'comeback')
        .map((e) => e.status),
    ).toEqual(['online', 'online']);
    await after.close();
    await edge.api.waitFor('offline', () =>
      edge.api.events().some((e) => e.name === 'comeback' && e.status === 'offline'),
    );
  });

  it('verifies tokens signed with a key the api added after the relay cached its JWKS', async () => {
    const fetches = edge.api.jwksFetches;
    await edge.api.addKey();
    const agent = await edge.agent([{ id: 'w', proto: 'http', local: origin.port }]);
    expect(edge.api.jwksFetches).toBe(fetches + 1);
    await agent.close();
  });

  it('refuses tokens naming an unknown kid without refetching the JWKS for each (negative cache)', async () => {
    const token = await edge.api.token({ sub: 'at-kid' }, { kid: 'kid-nobody-published' });
    // The first handshake may fetch the JWKS once (and wait out its cooldown at most once).
    const first = await rawHandshake(edge.relay.ports.agent, encodeFrame(hello(token)));
    expect(first.reply).toMatchObject({ code: 'auth_failed' });
    const fetches = edge.api.jwksFetches;
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) {
      const r = await rawHandshake(edge.relay.ports.agent, encodeFrame(hello(token)));
      expect(r.reply).toMatchObject({ code: 'auth_failed' });
    }
    // Each refused at once: no fetch, and no second-long wait for jose's cooldown.
    expect(edge.api.jwksFetches).toBe(fetches);
    expect(Date.now() - t0).toBeLessThan(2000);
    // Known keys still verify meanwhile.
    const ok = await edge.agent([{ id: 'w', proto: 'http', local: origin.port }]);
    await ok.close();
  });

  it('disconnects a revoked authtoken within a second of the pub/sub message', async () => {
    const agent = await edge.agent([{ id: 'w', proto: 'http', name: 'revoked', local: origin.port }], {
      sub: 'at-revoked',
      org: 'org-r',
    });
    const keep = await edge.agent([{ id: 'w', proto: 'http', name: 'kept', local: origin.port }], {
      sub: 'at-kept',
      org: 'org-r',
    });
    // The single-node adapter: the same namespace in the same process is the same bus.
    const bus = new MemoryPubSub({ namespace: edge.config.portsNamespace });
    const t0 = Date.now();
    await bus.publish(ControlChannel.AuthtokenRevoked, { authtokenId: 'at-revoked', orgId: 'org-r' });
    await agent.closed;
    expect(Date.now() - t0).toBeLessThan(1000);
    const gone = await visit(edge.relay.ports.http, hostOf(agent.url('w')));
    expect(gone.status).toBe(503);
    expect((await visit(edge.relay.ports.http, hostOf(keep.url('w')))).status).toBe(200);
    await edge.api.waitFor('offline', () =>
      edge.api.events().some((e) => e.name === 'revoked' && e.status === 'offline'),
    );
    await bus.close();
    await keep.close();
  });

  it('applies a policy change from pub/sub to the next request without reconnecting the agent', async () => {
    const agent = await edge.agent([{ id: 'w', proto: 'http', name: 'guarded', local: origin.port }], {
      sub: 'at-policy',
      org: 'org-p',
    });
    const other = await edge.agent([{ id: 'w', proto: 'http', name: 'guarded-not', local: origin.port }], {
      sub: 'at-policy-2',
      org: 'org-p',
    });
    let dropped = false;
    void agent.closed.then(() => (dropped = true));
    const host = hostOf(agent.url('w'));
    expect((await visit(edge.relay.ports.http, host)).status).toBe(200);
    const bus = new MemoryPubSub({ namespace: edge.config.portsNamespace });
    const publish = (policy: object, orgId = 'org-p') =>
      bus.publish(ControlChannel.PolicyChanged, { orgId, tunnel: 'guarded', policy });
    const statusSoon = async (want: number) => {
      for (let i = 0; i < 20; i++) {
        const got = (await visit(edge.relay.ports.http, host)).status;
        if (got === want) return got;
        await new Promise((r) => setTimeout(r, 50));
      }
      return (await visit(edge.relay.ports.http, host)).status;
    };

    await publish({ denyCidrs: ['127.0.0.0/8', '::1/128'] }, 'another-org');
    await publish({ denyCidrs: ['not a cidr'] });
    expect(await statusSoon(200)).toBe(200);
    await publish({ denyCidrs: ['127.0.0.0/8', '::1/128'] });
    expect(await statusSoon(403)).toBe(403);
    // Another tunnel of the org keeps its own policy, and the agent never reconnected.
    expect((await visit(edge.relay.ports.http, hostOf(other.url('w')))).status).toBe(200);
    await publish({ maxConns: 5 });
    expect(await statusSoon(200)).toBe(200);
    expect(dropped).toBe(false);
    await bus.close();
    await agent.close();
    await other.close();
  });

  it('refuses agents past FDT_RELAY_CAPACITY with relay_full, and takes them again once one leaves', async () => {
    const small = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_CAPACITY: '1',
    });
    try {
      const first = await small.agent([{ id: 'w', proto: 'http', local: origin.port }], { sub: 'cap-1' });
      expect(
        await refusal(small.agent([{ id: 'w', proto: 'http', local: origin.port }], { sub: 'cap-2' })),
      ).toMatchObject({
        code: 'relay_full',
      });
      await first.close();
      for (let i = 0; i < 20 && small.relay.app.get(RoutingTable).allSessions().length > 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      const next = await small.agent([{ id: 'w', proto: 'http', local: origin.port }], { sub: 'cap-2' });
      await next.close();
    } finally {
      await small.close();
    }
  });

  it('applies the policy the api stored for a tunnel name in place of the org policy (reconnects keep edits)', async () => {
    const agent = await edge.agent(
      [
        { id: 'kept', proto: 'http', name: 'edited-policy', local: origin.port },
        { id: 'plain', proto: 'http', name: 'org-policy', local: origin.port },
      ],
      {
        sub: 'at-tunnel-policy',
        tunnelPolicies: { 'edited-policy': { denyCidrs: ['127.0.0.0/8', '::1/128'] } },
      },
    );
    expect((await visit(edge.relay.ports.http, hostOf(agent.url('kept')))).status).toBe(403);
    expect((await visit(edge.relay.ports.http, hostOf(agent.url('plain')))).status).toBe(200);
    await agent.close();
  });

  it('retries tunnel reports the api refused', async () => {
    edge.api.tunnelsStatus = 503;
    const agent = await edge.agent([{ id: 'w', proto: 'http', name: 'retried', local: origin.port }], {
      sub: 'at-retry',
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(edge.api.events().some((e) => e.name === 'retried')).toBe(false);
    edge.api.tunnelsStatus = 204;
    await edge.api.waitFor(
      'the report, once the api is back',
      () => edge.api.events().some((e) => e.name === 'retried' && e.status === 'online'),
      5000,
    );
    await agent.close();
  });

  it('counts handshake failures by code on /metrics', async () => {
    const text = await (await fetch(`${edge.relay.url}/metrics`)).text();
    for (const code of [
      'malformed_frame',
      'frame_too_large',
      'version_unsupported',
      'bad_request',
      'auth_failed',
      'name_taken',
      'plan_limit',
      'policy_denied',
    ]) {
      expect(text).toMatch(new RegExp(`fdt_relay_handshake_failures_total\\{code="${code}"\\} [1-9]`));
    }
  });
});

describe('agent liveness', () => {
  let edge: Edge;
  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_AGENT_PING_SECONDS: '1',
    });
  });
  afterAll(async () => {
    await edge?.close();
  });

  it('closes the session of an agent that stops answering pings, and reports its tunnels offline', async () => {
    // Completes the handshake, then never answers on the mux: a hung agent or a dead network path.
    const socket = net.connect(edge.relay.ports.agent, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      encodeFrame(
        hello(await edge.api.token({ sub: 'at-hung' }), {
          tunnels: [{ id: 'w', proto: 'http', name: 'hung' }],
        }),
      ),
    );
    const { value } = await readFrame(socket);
    expect(value).toMatchObject({ type: 'welcome', heartbeatSeconds: 1 });
    socket.resume();
    const t0 = Date.now();
    await new Promise((r) => socket.once('close', r));
    expect(Date.now() - t0).toBeGreaterThan(1500);
    expect(Date.now() - t0).toBeLessThan(6000);
    await edge.api.waitFor('offline', () =>
      edge.api.events().some((e) => e.name === 'hung' && e.status === 'offline'),
    );
  }, 15_000);
});
