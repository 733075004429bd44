// Test support (excluded from the build): a minimal agent written against libs/protocol.
import http from 'node:http';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import {
  AgentStreamError,
  encodeFrame,
  FrameDecoder,
  type HandshakeError,
  type Hello,
  MuxCode,
  MuxSession,
  type MuxStream,
  PROTOCOL_VERSION,
  StreamHeader,
  type TunnelRequest,
  type Welcome,
} from '@fdt/protocol';

export interface AgentTunnel extends TunnelRequest {
  /** the local service: a port on 127.0.0.1 */
  local: number;
}

export interface AgentOptions {
  port: number;
  token: string;
  tunnels: AgentTunnel[];
  /** speak TLS to the relay, trusting this CA */
  tlsCa?: string;
  servername?: string;
}

export class HandshakeRefused extends Error {
  constructor(readonly reply: HandshakeError) {
    super(`${reply.code}: ${reply.message}`);
  }
}

const RESPONSE_HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

/** Dials the relay, says hello, and serves the relay's streams from local ports. */
export class TestAgent {
  /** headers of every stream the relay opened, in order */
  readonly streams: Array<Record<string, string | string[]>> = [];
  readonly closed: Promise<void>;
  /** the relay's GOAWAY, when it sends one: its code and reason */
  readonly goaway: Promise<{ code: number; reason: string }>;
  private readonly session: MuxSession;

  private constructor(
    readonly welcome: Welcome,
    private readonly socket: Socket,
    tunnels: AgentTunnel[],
    rest: Buffer,
  ) {
    const byId = new Map(tunnels.map((t) => [t.id, t]));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    if (rest.length) socket.unshift(rest);
    this.session = new MuxSession(socket, { role: 'answerer' });
    this.session.on('error', () => undefined);
    this.goaway = new Promise((resolve) =>
      this.session.once('goaway', (code, _last, reason) =>
        resolve({ code, reason: reason.toString('utf8') }),
      ),
    );
    this.session.on('stream', (stream, headers, _flags, rawHeaders: string[]) => {
      this.streams.push(headers);
      stream.on('error', () => undefined);
      const t = byId.get(String(headers[StreamHeader.Tunnel]));
      if (!t) return refuse(stream, 404, AgentStreamError.UnknownTunnel);
      if (headers[StreamHeader.Kind] === 'http') serveHttp(stream, headers, rawHeaders, t.local);
      else serveRaw(stream, t.local);
    });
  }

  static async connect(opts: AgentOptions): Promise<TestAgent> {
    const socket = await dial(opts);
    const hello: Hello = {
      type: 'hello',
      version: PROTOCOL_VERSION,
      token: opts.token,
      client: { name: 'fdt-test-agent', version: '0' },
      tunnels: opts.tunnels.map(({ local: _local, ...t }) => t),
    };
    socket.write(encodeFrame(hello));
    const { value, rest } = await readFrame(socket);
    const reply = value as Welcome | HandshakeError;
    if (reply.type === 'error') {
      socket.destroy();
      throw new HandshakeRefused(reply);
    }
    return new TestAgent(reply, socket, opts.tunnels, rest);
  }

  url(id: string): string {
    const t = this.welcome.tunnels.find((x) => x.id === id);
    if (!t) throw new Error(`no tunnel ${id} in the welcome`);
    return t.url;
  }

  /** Bytes straight onto the link, as a broken agent would send them. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Gone without a goodbye (process killed, network cut). */
  kill(): void {
    this.socket.destroy();
  }

  /** GOAWAY and close, as a stopping agent does. */
  async close(): Promise<void> {
    this.session.close();
    setTimeout(() => this.socket.destroy(), 200).unref();
    await this.closed;
  }
}

function serveHttp(
  stream: MuxStream,
  headers: Record<string, string | string[]>,
  rawHeaders: string[],
  port: number,
): void {
  // Raw pairs, so that a header sent twice reaches the local service twice.
  const out: string[] = ['host', String(headers[':authority'] ?? '')];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const k = rawHeaders[i];
    if (k.startsWith(':') || k.startsWith('fdt-')) continue;
    out.push(k, rawHeaders[i + 1]);
  }
  const local = http.request(
    {
      host: '127.0.0.1',
      port,
      method: String(headers[':method']),
      path: String(headers[':path']),
      headers: out,
    },
    (res) => {
      const h: Record<string, string | string[] | number> = { ':status': res.statusCode ?? 502 };
      for (const [k, v] of Object.entries(res.headersDistinct)) {
        if (!RESPONSE_HOP_BY_HOP.has(k) && v) h[k] = v.length === 1 ? v[0] : v;
      }
      if (stream.destroyed) {
        res.destroy();
        return;
      }
      stream.respond(h);
      res.pipe(stream);
    },
  );
  local.on('error', () => {
    if (!stream.headersSent) refuse(stream, 502, AgentStreamError.LocalUnreachable);
    else stream.close(MuxCode.InternalError);
  });
  stream.on('close', () => local.destroy());
  stream.pipe(local);
}

function serveRaw(stream: MuxStream, port: number): void {
  const local = net.connect(port, '127.0.0.1');
  local.setNoDelay(true);
  local.once('connect', () => {
    stream.respond({ ':status': 200 });
    local.pipe(stream);
    stream.pipe(local);
  });
  local.on('error', () => {
    if (!stream.headersSent) refuse(stream, 502, AgentStreamError.LocalUnreachable);
    else stream.close(MuxCode.Cancel);
  });
  local.on('close', () => {
    if (!stream.destroyed) stream.end();
  });
  stream.on('close', () => local.destroy());
}

function refuse(stream: MuxStream, status: number, error: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ':status': status, [StreamHeader.Error]: error });
  stream.end();
}

function dial(opts: Pick<AgentOptions, 'port' | 'tlsCa' | 'servername'>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = opts.tlsCa
      ? tls.connect(
          {
            port: opts.port,
            host: '127.0.0.1',
            ca: opts.tlsCa,
            servername: opts.servername ?? 'localhost',
          },
          () => resolve(socket),
        )
      : net.connect(opts.port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Reads one handshake frame; resolves with it and the bytes after it. */
export function readFrame(socket: Socket, timeoutMs = 5000): Promise<{ value: unknown; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const d = new FrameDecoder();
    const timer = setTimeout(() => fail(new Error('no frame in time')), timeoutMs);
    const onData = (chunk: Buffer) => {
      d.push(chunk);
      const value = d.next();
      if (value === undefined) return;
      socket.pause();
      cleanup();
      resolve({ value, rest: d.rest() });
    };
    const fail = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onClose = () => fail(new Error('closed before a frame'));
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/**
 * Sends raw bytes to the agent listener as a broken agent would; resolves with the frame
 * the relay answers (if any) and whether it then closed the connection.
 */
export async function rawHandshake(
  port: number,
  bytes: Buffer,
  waitMs = 3000,
): Promise<{ reply?: HandshakeError; closed: boolean }> {
  const socket = await dial({ port });
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), waitMs).unref();
  });
  socket.write(bytes);
  let reply: HandshakeError | undefined;
  try {
    reply = (await readFrame(socket, waitMs)).value as HandshakeError;
    socket.resume();
  } catch {
    // no frame: the relay just closed
  }
  const wasClosed = await closed;
  socket.destroy();
  return { reply, closed: wasClosed };
}
