import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RelayHeartbeat, TUNNEL_SET_CONTENT_TYPE, tunnelKey, tunnelSetDigest } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { type Edge, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';

describe('relay heartbeat: the summary of its live tunnels, and the full set when the api asks', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_HEARTBEAT_SECONDS: '1',
    });
    origin = await listen(http.createServer((_req, res) => res.end('ok')));
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  const beats = () => edge.api.heartbeats();
  /** The next heartbeat sent from now on. */
  async function nextBeat(): Promise<RelayHeartbeat> {
    const n = beats().length;
    return edge.api.waitFor('a heartbeat', () => beats()[n], 5000);
  }
  const keyOf = (name: string) => tunnelKey({ orgId: 'org-1', proto: 'http', name });

  it('sends a boot id, the event sequence, the count and the digest of its live set', async () => {
    const first = await edge.api.waitFor('a heartbeat', () => beats()[0]);
    const bootId = first.tunnels?.bootId;
    expect(first.tunnels).toEqual({
      bootId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      seq: 0,
      count: 0,
      digest: tunnelSetDigest([]),
    });

    const agent = await edge.agent([
      { id: 'a', proto: 'http', name: 'set-a', local: origin.port },
      { id: 'b', proto: 'http', name: 'set-b', local: origin.port },
    ]);
    await edge.api.waitFor(
      'online events',
      () => edge.api.events().filter((e) => e.status === 'online').length === 2,
    );
    // Events carry the boot and their place in its order.
    expect(edge.api.reports.at(-1)?.bootId).toBe(bootId);
    expect(edge.api.events().map((e) => [e.name, e.status, e.seq])).toEqual([
      ['set-a', 'online', 1],
      ['set-b', 'online', 2],
    ]);
    const hb = await nextBeat();
    expect(hb.tunnels).toEqual({
      bootId,
      seq: 2,
      count: 2,
      digest: tunnelSetDigest([keyOf('set-b'), keyOf('set-a')]),
    });

    // The api asks for the full set: one NDJSON body, header then one line per tunnel.
    edge.api.resyncNext = true;
    const set = await edge.api.waitFor('a full set', () => edge.api.tunnelSets[0], 5000);
    expect(set.contentType).toBe(TUNNEL_SET_CONTENT_TYPE);
    expect(set.header).toEqual({ relayName: edge.config.relay.name, bootId, seq: 2, count: 2 });
    expect(set.entries.map((e) => e.name).sort()).toEqual(['set-a', 'set-b']);
    expect(set.entries[0]).toEqual({
      orgId: 'org-1',
      authtokenId: 'authtoken-1',
      name: expect.any(String),
      proto: 'http',
      url: expect.stringMatching(/^http:\/\/set-[ab]\.localhost:\d+$/),
    });
    // Asked once, sent once.
    await nextBeat();
    await nextBeat();
    expect(edge.api.tunnelSets).toHaveLength(1);

    await agent.close();
    await edge.api.waitFor(
      'offline events',
      () => edge.api.events().filter((e) => e.status === 'offline').length === 2,
    );
    expect(edge.api.events().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await nextBeat()).tunnels).toMatchObject({ seq: 4, count: 0, digest: tunnelSetDigest([]) });
  });

  it('leaves the digest out while status events are still on their way to the api', async () => {
    edge.api.tunnelsStatus = 503;
    try {
      const agent = await edge.agent([{ id: 'a', proto: 'http', name: 'pending', local: origin.port }]);
      await edge.api.waitFor('a refused report', () =>
        edge.api.requests.some(
          (r) => r.url === '/api/v1/relays/tunnels' && JSON.stringify(r.body).includes('pending'),
        ),
      );
      const hb = await nextBeat();
      expect(hb.tunnels).toMatchObject({ count: 1, seq: 5 });
      expect(hb.tunnels).not.toHaveProperty('digest');
      edge.api.tunnelsStatus = 204;
      await edge.api.waitFor(
        'the report delivered',
        () => edge.api.events().some((e) => e.name === 'pending'),
        15_000,
      );
      expect((await nextBeat()).tunnels).toMatchObject({
        count: 1,
        digest: tunnelSetDigest([keyOf('pending')]),
      });
      await agent.close();
    } finally {
      edge.api.tunnelsStatus = 204;
    }
  });

  it('draws a new boot id per process start', async () => {
    const other = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    try {
      const hb = await other.api.waitFor('a heartbeat', () => other.api.heartbeats()[0]);
      expect(hb.tunnels?.bootId).toEqual(expect.any(String));
      expect(hb.tunnels?.bootId).not.toBe(beats()[0].tunnels?.bootId);
    } finally {
      await other.close();
    }
  });
});
