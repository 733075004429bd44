import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '@fdt/testing';
import { bridgeChild } from './testing/bridge-child.js';
import {
  BridgeInspectionLog,
  MemoryInspectionLog,
  PortClosedError,
  PortLimitError,
  RedisInspectionLog,
  type InspectionLog,
  type InspectionRecord,
  type NewInspectionRecord,
} from './index.js';

// The bridge: proxies here, the single-node log in a real child process (under npm start the
// relay child serves it and the parent's api reads it).
const child = bridgeChild(['inspection']);
afterAll(() => child.stop());

const adapters: [string, (namespace: string, perTunnel?: number) => InspectionLog][] = [
  ['memory', (namespace, perTunnel) => new MemoryInspectionLog({ namespace, perTunnel })],
  [
    'redis',
    (namespace, perTunnel) => new RedisInspectionLog({ namespace, perTunnel, redis: TEST_REDIS_URL }),
  ],
  [
    'bridge to a child process',
    (namespace, perTunnel) => new BridgeInspectionLog(child.peer(), { namespace, perTunnel }),
  ],
];

const compareIds = (a: string, b: string) => {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
};

const record = (tunnel: string, path: string, orgId = 'org-1'): NewInspectionRecord => ({
  requestId: randomUUID(),
  orgId,
  tunnel,
  host: `${tunnel}.localhost`,
  method: 'POST',
  path,
  status: 200,
  remoteAddr: '127.0.0.1:5000',
  requestHeaders: [['content-type', 'application/json']],
  responseHeaders: [
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
  ],
  requestBody: Buffer.from('{"x":1}').toString('base64'),
  requestBodyTruncated: false,
  responseBody: Buffer.from([0, 1, 2, 255]).toString('base64'),
  responseBodyTruncated: false,
  requestBytes: 7,
  responseBytes: 4,
  startedAt: Date.now(),
  timeToHeadMs: 1.5,
  durationMs: 2.5,
});

describe.each(adapters)('InspectionLog contract: %s', (_name, create) => {
  const open: InspectionLog[] = [];
  let namespace: string;
  beforeEach(() => {
    namespace = `t-${randomUUID()}`;
  });
  const log = (perTunnel?: number) => {
    const l = create(namespace, perTunnel);
    open.push(l);
    return l;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });

  it('keeps the newest records per tunnel, newest first, with increasing ids', async () => {
    const l = log(3);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await l.append(record('web', `/${i}`)));
    await l.append(record('api', '/other'));
    const listed = await l.list('org-1', 'web');
    expect(listed.map((r) => r.path)).toEqual(['/4', '/3', '/2']);
    expect(listed.map((r) => r.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(new Set(ids).size).toBe(5);
    expect((await l.list('org-1', 'api')).map((r) => r.path)).toEqual(['/other']);
    expect(await l.list('org-2', 'web')).toEqual([]);
  });

  it('keeps every field intact: header pairs in order, bodies as base64', async () => {
    const l = log();
    const r = record('web', '/a?b=1&b=2');
    const id = await l.append({ ...r });
    const got = await l.get('org-1', 'web', id);
    expect(JSON.parse(JSON.stringify(got))).toEqual({ ...r, id });
    expect(Buffer.from(got?.responseBody ?? '', 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('pages backwards with before and limit', async () => {
    const l = log();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await l.append(record('web', `/${i}`)));
    const first = await l.list('org-1', 'web', { limit: 2 });
    expect(first.map((r) => r.path)).toEqual(['/5', '/4']);
    const next = await l.list('org-1', 'web', { limit: 2, before: first[1].id });
    expect(next.map((r) => r.path)).toEqual(['/3', '/2']);
    expect(await l.list('org-1', 'web', { before: ids[0] })).toEqual([]);
  });

  it('answers undefined or nothing for unknown and malformed ids, and for another org', async () => {
    const l = log();
    const id = await l.append(record('web', '/x'));
    expect(await l.get('org-1', 'web', '1-0')).toBeUndefined();
    expect(await l.get('org-1', 'web', 'not an id')).toBeUndefined();
    expect(await l.get('org-2', 'web', id)).toBeUndefined();
    expect(await l.list('org-1', 'web', { before: '+ or -' })).toEqual([]);
  });

  it('delivers records appended after follow() to their followers only, until unsubscribed', async () => {
    const writer = log();
    const reader = log();
    await writer.append(record('web', '/before'));
    const seen: InspectionRecord[] = [];
    const other: InspectionRecord[] = [];
    const stop = await reader.follow('org-1', 'web', (r) => seen.push(r));
    const stopOther = await reader.follow('org-1', 'api', (r) => other.push(r));
    await writer.append(record('web', '/live-1'));
    await writer.append(record('web', '/live-2'));
    for (let i = 0; i < 50 && seen.length < 2; i++) await sleep(50);
    expect(seen.map((r) => r.path)).toEqual(['/live-1', '/live-2']);
    expect(other).toEqual([]);
    await stop();
    await writer.append(record('web', '/after'));
    await sleep(300);
    expect(seen).toHaveLength(2);
    await stopOther();
  });

  it("expires a tunnel's whole log the ttl of its last append after it, longer or shorter than before", async () => {
    const l = log();
    await l.append(record('lowered', '/a'), 3600);
    await l.append(record('lowered', '/b'), 1);
    await l.append(record('raised', '/a'), 1);
    await l.append(record('raised', '/b'), 3600);
    const kept = await l.append(record('default', '/a'));
    const gone = await l.append(record('short', '/a'), 1);
    await sleep(1300);
    expect(await l.list('org-1', 'lowered')).toEqual([]);
    expect(await l.get('org-1', 'short', gone)).toBeUndefined();
    expect((await l.list('org-1', 'raised')).map((r) => r.path)).toEqual(['/b', '/a']);
    expect((await l.get('org-1', 'default', kept))?.path).toBe('/a');
    // A log that expired starts again empty.
    await l.append(record('lowered', '/c'), 60);
    expect((await l.list('org-1', 'lowered')).map((r) => r.path)).toEqual(['/c']);
  });

  it('refuses a ttl that is not a positive integer of seconds', async () => {
    const l = log();
    for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(l.append(record('web', '/x'), ttl)).rejects.toBeInstanceOf(PortLimitError);
    expect(await l.list('org-1', 'web')).toEqual([]);
  });

  it('refuses records without an org or tunnel, and use after close', async () => {
    const l = log();
    await expect(l.append(record('', '/x'))).rejects.toThrow(/tunnel/);
    await l.close();
    await expect(l.append(record('web', '/x'))).rejects.toBeInstanceOf(PortClosedError);
  });

  it("record(): the data plane's append, best-effort; a window of records keeps the last per tunnel", async () => {
    const l = log(5);
    for (let i = 0; i < 12; i++) l.record(record('web', `/r${i}`), 3600);
    l.record(record('api', '/only'));
    // Bad input and a closed log take nothing and throw nothing (the visitor's exchange goes on).
    expect(() => l.record(record('', '/bad'))).not.toThrow();
    const paths = async (t: string) => (await l.list('org-1', t)).map((r) => r.path);
    const until = Date.now() + 5000;
    while ((await paths('web')).length < 5 && Date.now() < until) await sleep(50);
    expect(await paths('web')).toEqual(['/r11', '/r10', '/r9', '/r8', '/r7']);
    expect(await paths('api')).toEqual(['/only']);
    await l.close();
    expect(() => l.record(record('web', '/late'))).not.toThrow();
  });
});

describe('RedisInspectionLog', () => {
  it("sets the stream's expiry to each append's ttl (the org's retention), one day when none is given", async () => {
    const namespace = `t-${randomUUID()}`;
    const l = new RedisInspectionLog({ namespace, redis: TEST_REDIS_URL });
    const redis = new Redis(TEST_REDIS_URL);
    const ttl = () => redis.ttl(`${namespace}:insp:org-1:web`);
    try {
      await l.append(record('web', '/'), 48 * 3600);
      expect(await ttl()).toBeGreaterThan(48 * 3600 - 60);
      expect(await ttl()).toBeLessThanOrEqual(48 * 3600);
      await l.append(record('web', '/'), 3600);
      expect(await ttl()).toBeGreaterThan(3600 - 60);
      expect(await ttl()).toBeLessThanOrEqual(3600);
      await l.append(record('web', '/'));
      expect(await ttl()).toBeGreaterThan(86_400 - 60);
      expect(await ttl()).toBeLessThanOrEqual(86_400);
      expect(() => new RedisInspectionLog({ namespace, redis: TEST_REDIS_URL, retentionSeconds: 0 })).toThrow(
        PortLimitError,
      );
    } finally {
      await redis.del(`${namespace}:insp:org-1:web`);
      redis.disconnect();
      await l.close();
    }
  });
  it('writes the appends of one event-loop iteration in one transaction, each with its own id, in order', async () => {
    const namespace = `t-${randomUUID()}`;
    const l = new RedisInspectionLog({ namespace, redis: TEST_REDIS_URL });
    const redis = new Redis(TEST_REDIS_URL);
    const key = (t: string) => `${namespace}:insp:org-1:${t}`;
    const monitor = await redis.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (String(args[1] ?? '').startsWith(namespace)) commands.push(String(args[0]).toLowerCase());
    });
    try {
      // The last append of a tunnel sets its ttl; a key of the wrong type fails its own append.
      await redis.set(key('broken'), 'not a stream');
      const appends = [
        ...Array.from({ length: 20 }, (_, i) => l.append(record(i % 2 ? 'web' : 'api', `/p${i}`), 7200)),
        l.append(record('web', '/last'), 3600),
        l.append(record('broken', '/x')),
      ];
      const settled = await Promise.allSettled(appends);
      const ids = settled.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'));
      // Ids are a tunnel's own (one stream each): unique and increasing within it.
      const web = ids.filter((_, i) => i === 20 || (i < 20 && i % 2 === 1));
      const api = ids.filter((_, i) => i < 20 && i % 2 === 0);
      for (const own of [web, api]) {
        expect(new Set(own).size).toBe(own.length);
        expect([...own].sort(compareIds)).toEqual(own);
      }
      expect(settled[21].status).toBe('rejected');
      expect((await l.list('org-1', 'web')).map((r) => r.path)[0]).toBe('/last');
      expect((await l.list('org-1', 'api')).length).toBe(10);
      expect(await redis.ttl(key('web'))).toBeLessThanOrEqual(3600);
      expect(await redis.ttl(key('api'))).toBeGreaterThan(3600);
      // One MULTI for all 22 appends: 22 XADDs and one EXPIRE per key.
      await sleep(100);
      expect(commands.filter((c) => c === 'xadd')).toHaveLength(22);
      expect(commands.filter((c) => c === 'expire')).toHaveLength(3);
    } finally {
      monitor.disconnect();
      await redis.del(key('web'), key('api'), key('broken'));
      redis.disconnect();
      await l.close();
    }
  });
});

describe('RedisInspectionLog record()', () => {
  it('writes a window of records together: of 1,000 records of one tunnel only the last perTunnel', async () => {
    const namespace = `t-${randomUUID()}`;
    const l = new RedisInspectionLog({ namespace, redis: TEST_REDIS_URL, perTunnel: 10 });
    const redis = new Redis(TEST_REDIS_URL);
    const monitor = await redis.monitor();
    const xadds: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (String(args[0]).toLowerCase() === 'xadd' && String(args[1]).startsWith(namespace))
        xadds.push(args[1]);
    });
    try {
      for (let i = 0; i < 1000; i++) l.record(record('web', `/r${i}`), 600);
      const until = Date.now() + 5000;
      while ((await l.list('org-1', 'web')).length < 10 && Date.now() < until) await sleep(50);
      await sleep(300);
      expect((await l.list('org-1', 'web')).map((r) => r.path)).toEqual(
        Array.from({ length: 10 }, (_, i) => `/r${999 - i}`),
      );
      expect(xadds).toHaveLength(10);
      expect(await redis.ttl(`${namespace}:insp:org-1:web`)).toBeGreaterThan(500);
    } finally {
      monitor.disconnect();
      await redis.del(`${namespace}:insp:org-1:web`);
      redis.disconnect();
      await l.close();
    }
  });
});

describe('MemoryInspectionLog', () => {
  it('bounds captured bytes across tunnels, evicting the oldest first', async () => {
    const l = new MemoryInspectionLog({ namespace: `t-${randomUUID()}`, maxBytes: 3 * (1000 + 1024) });
    const big = (tunnel: string) => ({ ...record(tunnel, '/'), requestBytes: 1000, responseBytes: 0 });
    await l.append(big('a'));
    await l.append(big('b'));
    await l.append(big('a'));
    await l.append(big('b'));
    expect((await l.list('org-1', 'a')).length + (await l.list('org-1', 'b')).length).toBe(3);
    await l.close();
  });

  it("frees expired tunnels' records on a later append, a minute on, though nobody reads them", async () => {
    const start = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(start);
    const l = new MemoryInspectionLog({ namespace: `t-${randomUUID()}`, maxBytes: 2 * (1000 + 1024) });
    const big = (tunnel: string, path: string) => ({
      ...record(tunnel, path),
      requestBytes: 1000,
      responseBytes: 0,
    });
    try {
      await l.append(big('live', '/a'), 3600);
      await l.append(big('dead', '/'), 1);
      now.mockReturnValue(start + 61_000);
      // Over the budget unless the dead tunnel's record went first: then /a would be evicted.
      await l.append(big('live', '/b'), 3600);
      expect((await l.list('org-1', 'live')).map((r) => r.path)).toEqual(['/b', '/a']);
      expect(await l.list('org-1', 'dead')).toEqual([]);
    } finally {
      now.mockRestore();
      await l.close();
    }
  });

  it('is shared by every instance of a namespace in the process (api and relay of npm start)', async () => {
    const namespace = `t-${randomUUID()}`;
    const relay = new MemoryInspectionLog({ namespace });
    const api = new MemoryInspectionLog({ namespace });
    const id = await relay.append(record('web', '/shared'));
    expect((await api.get('org-1', 'web', id))?.path).toBe('/shared');
    await relay.close();
    await api.close();
  });
});
