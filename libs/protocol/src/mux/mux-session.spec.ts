import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  encodeMuxFrame,
  FrameType,
  MUX_FRAME_HEADER,
  MuxCode,
  MuxLimits,
  writeFrameHeader,
} from './frames.js';
import { MuxFrameReader } from './frame-reader.js';
import { decodeHeaderBlock, encodeHeaderBlock } from './header-block.js';
import { MuxBusyError, MuxSession } from './mux-session.js';
import type { MuxStream } from './mux-stream.js';

/** A connected loopback socket pair. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const [[accepted]] = (await Promise.all([once(server, 'connection'), once(client, 'connect')])) as [
    [net.Socket],
    unknown,
  ];
  server.close();
  return [client, accepted];
}

const open: net.Socket[] = [];
async function pair(): Promise<{ relay: MuxSession; agent: MuxSession; sockets: [net.Socket, net.Socket] }> {
  const sockets = await socketPair();
  open.push(...sockets);
  return {
    relay: new MuxSession(sockets[0], { role: 'opener' }),
    agent: new MuxSession(sockets[1], { role: 'answerer' }),
    sockets,
  };
}
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});

// Not `for await`: finishing the loop destroys the stream, and these Duplexes still answer.
const collect = (s: NodeJS.ReadableStream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    if ((s as NodeJS.ReadableStream & { readableEnded: boolean }).readableEnded)
      return resolve(Buffer.alloc(0));
    s.on('data', (c: Buffer) => parts.push(c));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });

/** The raw frames a plain socket receives. */
function frames(socket: net.Socket): Array<{ type: number; id: number; payload: Buffer }> {
  const out: Array<{ type: number; id: number; payload: Buffer }> = [];
  const data: Buffer[] = [];
  const reader = new MuxFrameReader({
    data: (id, chunk) => data.push(chunk) && out.push({ type: FrameType.Data, id, payload: chunk }),
    control: (type, _f, id, payload) => out.push({ type, id, payload: Buffer.from(payload) }),
  });
  socket.on('data', (c: Buffer) => reader.push(c));
  return out;
}

describe('header block', () => {
  it('round-trips names, repeated values and latin1 bytes', () => {
    const block = encodeHeaderBlock({
      ':status': 200,
      'set-cookie': ['a=1', 'b=2'],
      'x-bytes': 'caf\u00e9',
      skipped: undefined,
    });
    const d = decodeHeaderBlock(block);
    expect(d.raw).toEqual([
      ':status',
      '200',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'x-bytes',
      'caf\u00e9',
    ]);
    expect(d.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(d.headers[':status']).toBe('200');
  });

  it('refuses truncated and oversize blocks', () => {
    const block = encodeHeaderBlock({ a: 'b' });
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow(/truncated/);
    expect(() => decodeHeaderBlock(Buffer.concat([block, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => encodeHeaderBlock({ big: 'x'.repeat(MuxLimits.headerBlock) })).toThrow(/too large/);
  });
});

describe('frame reader', () => {
  it('reads frames fed one byte at a time, DATA in pieces', () => {
    const wire = Buffer.concat([
      encodeMuxFrame(FrameType.Headers, 1, 1, encodeHeaderBlock({ ':method': 'GET' })),
      encodeMuxFrame(FrameType.Data, 1, 3, Buffer.from('hello')),
      encodeMuxFrame(FrameType.Window, 0, 3, Buffer.from([0, 0, 1, 0])),
    ]);
    const seen: string[] = [];
    const body: Buffer[] = [];
    const r = new MuxFrameReader({
      data: (id, c, end) => {
        body.push(Buffer.from(c));
        if (end) seen.push(`data ${id} end`);
      },
      control: (t, f, id, p) => seen.push(`${t} ${f} ${id} ${p.length}`),
    });
    for (const b of wire) r.push(Buffer.from([b]));
    expect(seen).toEqual([
      `1 1 1 ${encodeHeaderBlock({ ':method': 'GET' }).length}`,
      'data 3 end',
      '3 0 3 4',
    ]);
    expect(Buffer.concat(body).toString()).toBe('hello');
  });

  it('refuses an unknown type and an oversize payload before reading it', () => {
    const r = new MuxFrameReader({ data: () => undefined, control: () => undefined });
    const head = Buffer.alloc(MUX_FRAME_HEADER);
    writeFrameHeader(head, 0, 1, 9 as FrameType, 0, 1);
    expect(() => r.push(head)).toThrow(/unknown frame type 9/);
    const r2 = new MuxFrameReader({ data: () => undefined, control: () => undefined });
    writeFrameHeader(head, 0, MuxLimits.dataPayload + 1, FrameType.Data, 0, 1);
    expect(() => r2.push(head)).toThrow(/limit/);
  });
});

describe('mux session', () => {
  it('carries a request and its response, headers and bodies both ways', async () => {
    const { relay, agent } = await pair();
    agent.on('stream', (stream, headers, _flags, raw) => {
      expect(raw).toContain('x-multi');
      void collect(stream).then((body) => {
        stream.respond({ ':status': 201, 'set-cookie': ['a=1', 'b=2'], 'x-path': String(headers[':path']) });
        stream.end(`echo:${body.toString()}`);
      });
    });
    const s = relay.request({ ':method': 'POST', ':path': '/p?q=1', 'x-multi': ['1', '2'] });
    s.end('ping');
    const closed = once(s, 'close');
    const [headers] = (await once(s, 'response')) as [Record<string, string | string[]>];
    expect(headers[':status']).toBe('201');
    expect(headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(headers['x-path']).toBe('/p?q=1');
    expect((await collect(s)).toString()).toBe('echo:ping');
    await closed;
    expect(s.rstCode).toBe(MuxCode.NoError);
  });

  it('marks a request without body (END on HEADERS) and answers 1xx before the final head', async () => {
    const { relay, agent } = await pair();
    agent.on('stream', (stream) => {
      expect(stream.endAfterHeaders).toBe(true);
      stream.additionalHeaders({ ':status': 103, link: '</a.css>' });
      stream.respond({ ':status': 204 }, { endStream: true });
    });
    const s = relay.request({ ':method': 'GET', ':path': '/' }, { endStream: true });
    const info = once(s, 'headers') as Promise<[Record<string, string>]>;
    const final = once(s, 'response') as Promise<[Record<string, string>]>;
    expect((await info)[0][':status']).toBe('103');
    expect((await final)[0][':status']).toBe('204');
    expect((await collect(s)).length).toBe(0);
  });

  it('moves 32 MiB byte-exact with flow control, a stalled stream never blocking another', async () => {
    const { relay, agent } = await pair();
    const big = Buffer.alloc(32 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    let stalled: MuxStream | undefined;
    agent.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200 });
      if (headers[':path'] === '/stall') {
        stalled = stream;
        stream.end(big); // nobody reads it on the relay: only a window's worth may leave
      } else stream.end(big);
    });
    const slow = relay.request({ ':path': '/stall' }, { endStream: true });
    slow.pause();
    await once(slow, 'response');
    const fast = relay.request({ ':path': '/fast' }, { endStream: true });
    await once(fast, 'response');
    const got = await collect(fast);
    expect(got.equals(big)).toBe(true);
    // The stalled stream's sender is held at its window.
    expect(slow.readableLength).toBeLessThanOrEqual(MuxLimits.initialWindow);
    expect(stalled?.writableLength).toBeGreaterThan(big.length - MuxLimits.initialWindow - 1);
    slow.resume();
    expect((await collect(slow)).equals(big)).toBe(true);
  });

  it('passes a reset to the peer with its code', async () => {
    const { relay, agent } = await pair();
    const agentStream = new Promise<MuxStream>((resolve) => agent.on('stream', (s) => resolve(s)));
    const s = relay.request({ ':path': '/' });
    const peer = await agentStream;
    s.close(MuxCode.Cancel);
    await once(peer, 'close');
    expect(peer.rstCode).toBe(MuxCode.Cancel);
    expect(s.rstCode).toBe(MuxCode.Cancel);
  });

  it('answers pings and passes GOAWAY with its reason; no new streams after it', async () => {
    const { relay, agent } = await pair();
    const ms = await new Promise<number>((resolve, reject) =>
      relay.ping((err, d) => (err ? reject(err) : resolve(d))),
    );
    expect(ms).toBeGreaterThanOrEqual(0);
    const goaway = once(agent, 'goaway');
    relay.goaway(MuxCode.NoError, 'relay shutting down');
    const [code, , reason] = (await goaway) as [number, number, Buffer];
    expect(code).toBe(MuxCode.NoError);
    expect(reason.toString()).toBe('relay shutting down');
    expect(() => relay.request({ ':path': '/' })).toThrow(/closing/);
  });

  it('closes the link with GOAWAY on an unknown frame, an oversize frame or a malformed header block', async () => {
    const bad = [
      (() => {
        const b = Buffer.alloc(MUX_FRAME_HEADER + 1);
        writeFrameHeader(b, 0, 1, 42 as FrameType, 0, 1);
        return { wire: b, code: MuxCode.ProtocolError };
      })(),
      (() => {
        const b = Buffer.alloc(MUX_FRAME_HEADER);
        writeFrameHeader(b, 0, MuxLimits.dataPayload + 1, FrameType.Data, 0, 1);
        return { wire: b, code: MuxCode.FrameSizeError };
      })(),
      { wire: encodeMuxFrame(FrameType.Headers, 0, 1, Buffer.from([0, 5, 0])), code: MuxCode.ProtocolError },
    ];
    for (const { wire, code } of bad) {
      const [raw, other] = await socketPair();
      open.push(raw, other);
      const agent = new MuxSession(other, { role: 'answerer' });
      const errors: Error[] = [];
      agent.on('error', (e) => errors.push(e));
      const seen = frames(raw);
      raw.write(wire);
      await once(raw, 'close');
      const goaway = seen.find((f) => f.type === FrameType.GoAway);
      expect(goaway?.payload.readUInt32BE(4)).toBe(code);
      expect(errors).toHaveLength(1);
      expect(agent.destroyed || agent.closed).toBe(true);
    }
  });

  it('resets a stream whose sender overruns its window', async () => {
    const [raw, other] = await socketPair();
    open.push(raw, other);
    const agent = new MuxSession(other, { role: 'answerer' });
    const opened = new Promise<MuxStream>((resolve) => agent.on('stream', (s) => resolve(s)));
    raw.write(encodeMuxFrame(FrameType.Headers, 0, 1, encodeHeaderBlock({ ':path': '/' })));
    const s = await opened;
    s.pause();
    const chunk = Buffer.alloc(MuxLimits.dataPayload);
    for (let sent = 0; sent <= MuxLimits.initialWindow; sent += chunk.length)
      raw.write(encodeMuxFrame(FrameType.Data, 0, 1, chunk));
    await once(s, 'close');
    expect(s.rstCode).toBe(MuxCode.FlowControlError);
  });
});

describe('mux session limits', () => {
  const ping = (n: number) => {
    const p = Buffer.alloc(8);
    p.writeBigUInt64BE(BigInt(n));
    return encodeMuxFrame(FrameType.Ping, 0, 0, p);
  };

  it('closes the link with ENHANCE_YOUR_CALM on a PING flood, after answering the allowed burst', async () => {
    const [raw, other] = await socketPair();
    open.push(raw, other);
    const relay = new MuxSession(other, { role: 'opener', pingBurst: 5, pingsPerSecond: 1 });
    const limits: string[] = [];
    relay.on('limit', (r) => limits.push(r));
    relay.on('error', () => undefined);
    const seen = frames(raw);
    raw.write(Buffer.concat(Array.from({ length: 40 }, (_, i) => ping(i))));
    await once(raw, 'close');
    expect(seen.filter((f) => f.type === FrameType.Ping)).toHaveLength(5);
    expect(seen.find((f) => f.type === FrameType.GoAway)?.payload.readUInt32BE(4)).toBe(
      MuxCode.EnhanceYourCalm,
    );
    expect(limits).toEqual(['ping_flood']);
  });

  it('queues no PING answer toward a peer that does not read past the budget', async () => {
    const [raw, other] = await socketPair();
    open.push(raw, other);
    raw.pause(); // never reads
    const budget = 64 * 1024;
    const relay = new MuxSession(other, {
      role: 'opener',
      bufferBudget: budget,
      pingBurst: 1e9,
      pingsPerSecond: 1e9,
    });
    relay.on('error', () => undefined);
    // 8 MiB of PINGs: their answers would be as many bytes.
    const burst = Buffer.concat(Array.from({ length: 4096 }, (_, i) => ping(i)));
    for (let i = 0; i < 113; i++) raw.write(burst);
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.bufferedBytes.outbound).toBeLessThan(budget + 1024);
    expect(relay.destroyed).toBe(false);
  });

  it('parks DATA and refuses new streams while the peer reads nothing, then closes the link after stallMs', async () => {
    const [raw, other] = await socketPair();
    open.push(raw, other);
    raw.pause(); // the agent never reads
    const budget = 256 * 1024;
    const relay = new MuxSession(other, { role: 'opener', bufferBudget: budget, stallMs: 400 });
    const limits: string[] = [];
    relay.on('limit', (r) => limits.push(r));
    relay.on('error', () => undefined);
    const closed = new Promise<void>((r) => relay.once('close', () => r()));
    const body = Buffer.alloc(MuxLimits.initialWindow);
    let refused: unknown;
    let maxOutbound = 0;
    // Open streams as visitors would, a few milliseconds apart, each writing a whole window:
    // more than the kernel's buffers and the budget hold, so the queue fills and stays full.
    for (let i = 0; i < 64 && !relay.destroyed; i++) {
      try {
        const s = relay.request({ ':path': `/${i}` });
        s.on('error', () => undefined);
        s.write(body);
      } catch (e) {
        refused ??= e;
      }
      maxOutbound = Math.max(maxOutbound, relay.bufferedBytes.outbound);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(refused).toBeInstanceOf(MuxBusyError);
    // The kernel holds some; the session at most its budget and a frame.
    expect(maxOutbound).toBeLessThan(budget + MuxLimits.dataPayload + 1024);
    await closed;
    expect(limits).toEqual(['outbound_stalled']);
  });

  it('resets the stream holding most once unread bytes pass the budget, and no other', async () => {
    const budget = 3 * 1024 * 1024;
    const [rawRelay, rawAgent] = await socketPair();
    open.push(rawRelay, rawAgent);
    const r = new MuxSession(rawRelay, { role: 'opener', bufferBudget: budget });
    const a = new MuxSession(rawAgent, { role: 'answerer' });
    const limits: string[] = [];
    r.on('limit', (x) => limits.push(x));
    a.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200 });
      // /big sends a whole window, /small a little; nobody reads either on the relay.
      stream.end(Buffer.alloc(headers[':path'] === '/big' ? MuxLimits.initialWindow : 512 * 1024));
    });
    const small = r.request({ ':path': '/small' }, { endStream: true });
    small.pause();
    await once(small, 'response');
    await new Promise((res) => setTimeout(res, 100));
    const big = r.request({ ':path': '/big' }, { endStream: true });
    big.pause();
    big.on('error', () => undefined);
    const big2 = r.request({ ':path': '/big' }, { endStream: true });
    big2.pause();
    big2.on('error', () => undefined);
    await new Promise((res) => setTimeout(res, 300));
    const reset = [big, big2].filter((s) => s.rstCode === MuxCode.EnhanceYourCalm);
    expect(reset.length).toBeGreaterThanOrEqual(1);
    expect(small.destroyed).toBe(false);
    expect(r.bufferedBytes.inbound).toBeLessThanOrEqual(budget);
    expect(limits.every((x) => x === 'inbound_budget')).toBe(true);
    small.resume();
    expect((await collect(small)).length).toBe(512 * 1024);
  });
});
