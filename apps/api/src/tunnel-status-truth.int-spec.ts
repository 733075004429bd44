import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  RELAY_TUNNEL_SET_PATH,
  TUNNEL_SET_CONTENT_TYPE,
  type TunnelSetSummary,
  type TunnelStatusEvent,
  tunnelKey,
  tunnelSetDigest,
} from '@fdt/protocol';
import type { TestClient } from '@fdt/testing';
import { TunnelTruthService } from '@fdt/tunnels';
import { type Harness, startHarness } from '../test/harness.js';

const BOOT_A = 'boot-aaaaaaaa';
const BOOT_B = 'boot-bbbbbbbb';

describe('tunnel status converges to what relays serve: boots, digests, full sets, stale relays', () => {
  let h: Harness;
  let owner: TestClient;
  let orgId: string;
  let authtokenId: string;

  beforeAll(async () => {
    // Plan: 10 tunnels per agent; relays below declare capacity 2, so a set holds at most 20.
    h = await startHarness({ FDT_PLAN_MAX_TUNNELS: '10' });
    ({ client: owner, orgId } = await h.signup());
    authtokenId = (await owner.post('/api/v1/authtokens', { description: 'truth' })).body.id;
  });
  afterAll(() => h?.close());

  const entry = (name: string) => ({
    orgId,
    authtokenId,
    name,
    proto: 'http' as const,
    url: `http://${name}.localhost:8080`,
  });
  const summary = (bootId: string, seq: number, names: string[], digest = true): TunnelSetSummary => {
    const keys = names.map((n) => tunnelKey(entry(n)));
    return { bootId, seq, count: keys.length, ...(digest ? { digest: tunnelSetDigest(keys) } : {}) };
  };
  const beat = (name: string, tunnels?: TunnelSetSummary) =>
    h.client().post(
      '/api/v1/relays/heartbeat',
      {
        name,
        region: 'eu',
        publicHost: `${name}.relays.test`,
        agentPort: 4443,
        agentTls: false,
        httpPort: 8080,
        httpsPort: 8443,
        capacity: 2,
        load: 0,
        ...(tunnels ? { tunnels } : {}),
      },
      { bearer: h.config.relay.secret },
    );
  const report = (relayName: string, events: Partial<TunnelStatusEvent>[], bootId?: string) =>
    h
      .client()
      .post(
        '/api/v1/relays/tunnels',
        { relayName, ...(bootId ? { bootId } : {}), events },
        { bearer: h.config.relay.secret },
      );
  const online = (name: string, seq?: number) => ({ ...entry(name), status: 'online' as const, seq });
  const offline = (name: string, seq?: number) => ({ ...entry(name), status: 'offline' as const, seq });
  const postSet = (body: string, contentType = TUNNEL_SET_CONTENT_TYPE, bearer = h.config.relay.secret) =>
    fetch(`${h.api.url}${RELAY_TUNNEL_SET_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': contentType },
      body,
    });
  const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  const sendSet = (relayName: string, bootId: string, seq: number, names: string[]) =>
    postSet(ndjson([{ relayName, bootId, seq, count: names.length }, ...names.map(entry)]));

  /** name -> status, as the tunnel list shows it. */
  async function listed(): Promise<Record<string, string>> {
    const res = await owner.get('/api/v1/tunnels');
    expect(res.status).toBe(200);
    return Object.fromEntries(
      (res.body.items as { name: string; status: string }[]).map((t) => [t.name, t.status]),
    );
  }

  it('keeps the previous contract for relays that send no summary', async () => {
    const ack = await beat('legacy');
    expect(ack.status).toBe(200);
    expect(ack.body).toEqual({ id: expect.any(String), staleAfterSeconds: h.config.relay.staleAfterSeconds });
    expect((await report('legacy', [online('legacy-1')])).status).toBe(204);
    expect((await listed())['legacy-1']).toBe('online');
    expect((await report('legacy', [offline('legacy-1')])).status).toBe(204);
    expect((await listed())['legacy-1']).toBe('offline');
  });

  it('a relay that restarted (new boot id) loses every tunnel of its previous boot at its first heartbeat', async () => {
    expect((await beat('r1', summary(BOOT_A, 0, []))).body.resync).toBe(false);
    expect((await report('r1', [online('a1', 1), online('a2', 2)], BOOT_A)).status).toBe(204);
    expect((await beat('r1', summary(BOOT_A, 2, ['a1', 'a2']))).body.resync).toBe(false);
    expect(await listed()).toMatchObject({ a1: 'online', a2: 'online' });

    // kill -9 and start again under the same name: no agent came back yet.
    const ack = await beat('r1', summary(BOOT_B, 0, []));
    expect(ack.body.resync).toBe(false);
    expect(await listed()).toMatchObject({ a1: 'offline', a2: 'offline' });
    const detail = await owner.get(`/api/v1/tunnels/${await idOf('a1')}`);
    expect(detail.body.status).toBe('offline');
    const live = await owner.get('/api/v1/live');
    expect(live.body.stats).toMatchObject({ tunnelsOnline: 0, agentsOnline: 0 });

    // An agent reconnects: its event (new boot) brings its tunnel back.
    expect((await report('r1', [online('a1', 1)], BOOT_B)).status).toBe(204);
    expect(await listed()).toMatchObject({ a1: 'online', a2: 'offline' });
  });

  it('events of a new boot that arrive before its heartbeat move the relay to that boot too', async () => {
    await beat('r2', summary(BOOT_A, 0, []));
    await report('r2', [online('b1', 1), online('b2', 2)], BOOT_A);
    expect((await report('r2', [online('b3', 1)], BOOT_B)).status).toBe(204);
    expect(await listed()).toMatchObject({ b1: 'offline', b2: 'offline', b3: 'online' });
    expect((await beat('r2', summary(BOOT_B, 1, ['b3']))).body.resync).toBe(false);
  });

  it('asks for the full set when the digest disagrees, and the set makes the rows exact', async () => {
    await beat('r3', summary(BOOT_A, 0, []));
    await report('r3', [online('c1', 1), online('c2', 2)], BOOT_A);
    // The relay serves c2 and c3 (the event for c3 was lost, c1's offline too).
    const ack = await beat('r3', summary(BOOT_A, 4, ['c2', 'c3']));
    expect(ack.body.resync).toBe(true);
    expect((await sendSet('r3', BOOT_A, 4, ['c2', 'c3'])).status).toBe(204);
    expect(await listed()).toMatchObject({ c1: 'offline', c2: 'online', c3: 'online' });
    expect((await beat('r3', summary(BOOT_A, 4, ['c2', 'c3']))).body.resync).toBe(false);
    // A count that disagrees is enough, and no digest (events in flight) means no comparison.
    expect((await beat('r3', summary(BOOT_A, 4, ['c2']))).body.resync).toBe(true);
    expect((await beat('r3', summary(BOOT_A, 5, ['c2'], false))).body.resync).toBe(false);
  });

  it('does not compare a summary older than what the api already applied', async () => {
    await beat('r4', summary(BOOT_A, 0, []));
    await report('r4', [online('d1', 1), online('d2', 2)], BOOT_A);
    // Built before event 2 went out, arriving after it: differs, but is simply behind.
    expect((await beat('r4', summary(BOOT_A, 1, ['d1']))).body.resync).toBe(false);
  });

  it('a full set never undoes a later event, and a late event never undoes a later full set', async () => {
    await beat('r5', summary(BOOT_A, 0, []));
    await report('r5', [online('e1', 1), online('e2', 2)], BOOT_A);
    // Event 3 (e1 offline) overtook the set taken at seq 2 that still lists e1.
    await report('r5', [offline('e1', 3)], BOOT_A);
    expect((await sendSet('r5', BOOT_A, 2, ['e1', 'e2'])).status).toBe(204);
    expect(await listed()).toMatchObject({ e1: 'offline', e2: 'online' });
    // A set taken at seq 5 (e2 gone, e3 up) arrives before events 4 (e3 online) and 5 (e2 offline).
    expect((await sendSet('r5', BOOT_A, 5, ['e3'])).status).toBe(204);
    expect(await listed()).toMatchObject({ e1: 'offline', e2: 'offline', e3: 'online' });
    await report('r5', [online('e2', 4)], BOOT_A);
    expect(await listed()).toMatchObject({ e2: 'offline', e3: 'online' });
    // Even for a tunnel the api never heard of: event 3 (e9 online) is older than the set,
    // which does not list e9 (it went offline again by seq 5).
    await report('r5', [online('e9', 3)], BOOT_A);
    expect((await listed()).e9).not.toBe('online');
    // And then the relay agrees with the rows.
    expect((await beat('r5', summary(BOOT_A, 5, ['e3']))).body.resync).toBe(false);
  });

  it('ends where the relay is, whatever order concurrent events and its full set arrive in', async () => {
    for (let round = 0; round < 6; round++) {
      const relay = `race-${round}`;
      const n = (x: string) => `race${round}-${x}`;
      await beat(relay, summary(BOOT_A, 0, []));
      // The relay's history; at seq 8 it serves d and e, which its full set says.
      const events = [
        online(n('a'), 1),
        online(n('b'), 2),
        online(n('c'), 3),
        offline(n('a'), 4),
        online(n('d'), 5),
        offline(n('b'), 6),
        online(n('e'), 7),
        offline(n('c'), 8),
      ];
      const sends = [
        ...events.map((e) => () => report(relay, [e], BOOT_A).then((r) => r.status)),
        () => sendSet(relay, BOOT_A, 8, [n('d'), n('e')]).then((r) => r.status),
      ];
      // A different arrival order each round (seeded, so a failure replays).
      let seed = round + 1;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = sends.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [sends[i], sends[j]] = [sends[j], sends[i]];
      }
      expect(new Set(await Promise.all(sends.map((f) => f())))).toEqual(new Set([204]));
      const s = await listed();
      const online_ = ['a', 'b', 'c', 'd', 'e'].filter((x) => s[n(x)] === 'online');
      expect({ round, online: online_ }).toEqual({ round, online: ['d', 'e'] });
      expect((await beat(relay, summary(BOOT_A, 8, [n('d'), n('e')]))).body.resync).toBe(false);
    }
  });

  it('a tunnel that moved to another relay stays online when the old relay reports its end late', async () => {
    await beat('r6', summary(BOOT_A, 0, []));
    await beat('r7', summary(BOOT_B, 0, []));
    await report('r6', [online('f1', 1)], BOOT_A);
    await report('r7', [online('f1', 1)], BOOT_B);
    await report('r6', [offline('f1', 2)], BOOT_A);
    expect((await listed()).f1).toBe('online');
    // r6's full set without f1 does not take it from r7 either; with it, r7 (live) keeps it.
    expect((await sendSet('r6', BOOT_A, 2, [])).status).toBe(204);
    expect((await sendSet('r6', BOOT_A, 3, ['f1'])).status).toBe(204);
    const [row] = await h.ds.query(
      `SELECT r.name, t.status FROM tunnels t JOIN relays r ON r.id = t.relay_id WHERE t.name = 'f1'`,
    );
    expect(row).toEqual({ name: 'r7', status: 'online' });
  });

  it('persists offline for the tunnels of a relay that stopped heartbeating, so every view agrees', async () => {
    await beat('r8', summary(BOOT_A, 0, []));
    await report('r8', [online('g1', 1)], BOOT_A);
    expect((await listed()).g1).toBe('online');
    await h.ds.query(`UPDATE relays SET last_heartbeat_at = now() - interval '1 hour' WHERE name = 'r8'`);
    // Reads already treat a stale relay's tunnels as offline, before any sweep.
    expect((await listed()).g1).toBe('offline');
    // The api's own 5 s sweep may get there first: the row is what must be offline.
    await h.api.app.get(TunnelTruthService).sweepStale();
    const [row] = await h.ds.query(`SELECT status FROM tunnels WHERE name = 'g1'`);
    expect(row.status).toBe('offline');
    expect((await owner.get(`/api/v1/tunnels/${await idOf('g1')}`)).body.status).toBe('offline');
    // The relay comes back (same process, after a partition): it still serves g1, so it resyncs.
    const ack = await beat('r8', summary(BOOT_A, 1, ['g1']));
    expect(ack.body.resync).toBe(true);
    expect((await sendSet('r8', BOOT_A, 1, ['g1'])).status).toBe(204);
    expect((await listed()).g1).toBe('online');
  });

  it('takes custom-domain tunnels, whose name is their hostname, in events and full sets', async () => {
    await beat('r10', summary(BOOT_A, 0, []));
    expect((await report('r10', [online('app.customer.test', 1)], BOOT_A)).status).toBe(204);
    expect((await listed())['app.customer.test']).toBe('online');
    expect((await sendSet('r10', BOOT_A, 1, ['app.customer.test', 'www.customer.test'])).status).toBe(204);
    expect(await listed()).toMatchObject({ 'app.customer.test': 'online', 'www.customer.test': 'online' });
    for (const bad of ['Bad_Name', '-x', 'a..b', 'x'.repeat(64)])
      expect((await report('r10', [online(bad, 2)], BOOT_A)).status).toBe(400);
  });

  it('rejects bad full sets with clear errors and changes nothing', async () => {
    await beat('r9', summary(BOOT_A, 0, []));
    await report('r9', [online('h1', 1)], BOOT_A);
    const header = { relayName: 'r9', bootId: BOOT_A, seq: 1, count: 1 };
    const problem = async (res: Response) => ({ status: res.status, ...((await res.json()) as object) });

    expect((await postSet(ndjson([header, entry('h1')]), 'text/plain')).status).toBe(415);
    expect(
      (await postSet(ndjson([header, entry('h1')]), TUNNEL_SET_CONTENT_TYPE, 'x'.repeat(40))).status,
    ).toBe(401);
    expect(await problem(await postSet(''))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/no header/),
    });
    expect(await problem(await postSet('{"relayName": "r9",\n'))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/line 1: not JSON/),
    });
    expect(await problem(await postSet(ndjson([{ ...header, seq: -1 }])))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/line 1: .*seq/),
    });
    expect(await problem(await postSet(ndjson([header, { ...entry('h1'), orgId: 'nope' }])))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/line 2: orgId must be a UUID/),
    });
    expect(await problem(await postSet(ndjson([header, { ...entry('h1'), extra: 1 }])))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/line 2: .*extra/),
    });
    expect(await problem(await postSet(ndjson([header, [1]])))).toMatchObject({ status: 400 });
    // Truncated: fewer entries than announced.
    expect(await problem(await postSet(ndjson([{ ...header, count: 2 }, entry('h1')])))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/header says 2 tunnels, body has 1/),
    });
    // Capacity 2 x 10 tunnels per agent = 20 at most, announced or sent (the bound takes the
    // most generous plan of the catalog: here every plan allows 10 tunnels per agent).
    await h.ds.query(`UPDATE billing_plans SET limits = jsonb_set(limits, '{maxTunnels}', '10')`);
    const many = Array.from({ length: 21 }, (_, i) => entry(`many-${i}`));
    expect((await postSet(ndjson([{ ...header, count: 21 }, ...many]))).status).toBe(413);
    expect((await postSet(ndjson([{ ...header, count: 1 }, ...many]))).status).toBe(413);
    expect((await postSet(ndjson([header, { ...entry('h1'), url: 'x'.repeat(3000) }]))).status).toBe(413);
    // Another boot, or a relay that never heartbeated: conflict, heartbeat first.
    expect((await sendSet('r9', BOOT_B, 1, [])).status).toBe(409);
    expect((await sendSet('nobody', BOOT_A, 1, [])).status).toBe(409);
    // A bad summary in a heartbeat is a 400 like any other bad field.
    expect((await beat('r9', { ...summary(BOOT_A, 1, ['h1']), digest: 'zz' })).status).toBe(400);
    expect((await beat('r9', { ...summary(BOOT_A, 1, ['h1']), bootId: 'x' })).status).toBe(400);

    expect((await listed()).h1).toBe('online');
    expect((await listed())['many-0']).toBeUndefined();
  });

  async function idOf(name: string): Promise<string> {
    const res = await owner.get('/api/v1/tunnels');
    const found = (res.body.items as { id: string; name: string }[]).find((t) => t.name === name);
    if (!found) throw new Error(`no tunnel ${name} listed`);
    return found.id;
  }
});
