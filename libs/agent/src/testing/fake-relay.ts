import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import {
  encodeFrame,
  FrameDecoder,
  MuxCode,
  MuxSession,
  type MuxStream,
  parseHello,
  PROTOCOL_VERSION,
  RAW_STREAM_PATH,
  StreamHeader,
  type Hello,
  type RelayHandshakeReply,
  type StreamKind,
  type TunnelGrant,
  type Welcome,
} from '@fdt/protocol';

// A minimal relay for tests, written against @fdt/protocol only: it reads the hello,
// answers, then becomes the mux *opener* on the agent's connection and opens streams.

export type HelloDecision = RelayHandshakeReply | 'drop' | 'garbage' | 'silence' | undefined;

export interface FakeRelayOptions {
  /** serve the agent listener over TLS with this key pair */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** the reply to the nth hello (0-based); undefined → a welcome granting every tunnel */
  onHello?: (hello: Hello, n: number) => HelloDecision;
  heartbeatSeconds?: number;
  /**
   * send the welcome and the first mux frame (a PING) in one write, as a fast relay's first
   * request would arrive (default true); false: the welcome alone
   */
  coalesce?: boolean;
}

export interface AgentConnection {
  hello: Hello;
  welcome: Welcome;
  socket: net.Socket;
  session: MuxSession;
  /** coalesce: resolves with the round trip of the PING sent with the welcome, once the agent answers it */
  firstPing?: Promise<number>;
  /** resolves when the agent sends GOAWAY */
  goaway: Promise<void>;
  closed: Promise<void>;
}

/** A decoded header block: by name, a repeated name as an array. */
export type RelayHeaders = Record<string, string | string[]>;

export interface RelayResponse {
  status: number;
  headers: RelayHeaders;
  body: Buffer;
}

export interface RelayRequest {
  tunnel: string;
  method?: string;
  path?: string;
  authority?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** end the stream on its HEADERS (default for GET/HEAD/DELETE, as the relay does for a request without body); false: end it with an empty DATA frame */
  endStream?: boolean;
}

export function grantFor(t: Hello['tunnels'][number], i: number): TunnelGrant {
  if (t.proto === 'tcp') {
    const port = t.port ?? 20000 + i;
    return {
      id: t.id,
      proto: 'tcp',
      name: `tcp-${port}`,
      url: `tcp://localhost:${port}`,
      urls: [`tcp://localhost:${port}`],
      port,
    };
  }
  if (t.proto === 'tls') {
    const host = t.domain ?? `${t.name ?? 'tls'}.localhost`;
    return {
      id: t.id,
      proto: 'tls',
      name: t.name ?? host.split('.')[0] ?? 'tls',
      url: `tls://${host}:8443`,
      urls: [`tls://${host}:8443`],
      host,
    };
  }
  const name = t.name ?? `t${randomBytes(4).toString('hex')}`;
  const host = t.domain ?? `${name}.localhost`;
  return {
    id: t.id,
    proto: 'http',
    name,
    host,
    url: `http://${host}:8080`,
    urls: [`http://${host}:8080`, `https://${host}:8443`],
  };
}

export class FakeRelay {
  readonly hellos: Hello[] = [];
  readonly connections: AgentConnection[] = [];
  private readonly sockets = new Set<net.Socket>();
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: net.Server,
    private readonly opts: FakeRelayOptions,
  ) {}

  static async start(opts: FakeRelayOptions = {}, port = 0): Promise<FakeRelay> {
    const server = opts.tls
      ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert })
      : net.createServer();
    const relay = new FakeRelay(server, opts);
    server.on(opts.tls ? 'secureConnection' : 'connection', (s: net.Socket) => relay.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The newest connection once `count` agents have completed the handshake. */
  async waitForAgent(count = 1, timeoutMs = 5_000): Promise<AgentConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < count) {
      if (Date.now() > deadline)
        throw new Error(`fake relay: ${this.connections.length} of ${count} agents connected`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.connections[count - 1] as AgentConnection;
  }

  /** The current (newest) agent connection. */
  get current(): AgentConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('fake relay: no agent connected');
    return c;
  }

  /** Opens an `http` stream and buffers the whole response. */
  async request(r: RelayRequest, conn = this.current): Promise<RelayResponse> {
    const stream = this.stream(r, conn);
    stream.end(r.body);
    return collect(stream);
  }

  /** Opens an `http` stream; the caller writes the body and reads the response. */
  stream(r: RelayRequest, conn = this.current): MuxStream {
    const method = r.method ?? 'GET';
    return conn.session.request(
      {
        ':method': method,
        ':path': r.path ?? '/',
        ':authority': r.authority ?? 'app.localhost:8080',
        ':scheme': 'http',
        [StreamHeader.Tunnel]: r.tunnel,
        [StreamHeader.Kind]: 'http',
        [StreamHeader.RemoteAddr]: '203.0.113.7:40000',
        [StreamHeader.RequestId]: randomBytes(6).toString('hex'),
        ...r.headers,
      },
      { endStream: r.endStream ?? NO_BODY_METHODS.has(method) },
    );
  }

  /** Opens a `raw` or `upgrade` stream (bytes both ways after the 200). */
  open(tunnel: string, kind: Exclude<StreamKind, 'http'>, conn = this.current): MuxStream {
    return conn.session.request({
      ':method': 'POST',
      ':path': RAW_STREAM_PATH,
      ':authority': 'relay',
      ':scheme': 'http',
      [StreamHeader.Tunnel]: tunnel,
      [StreamHeader.Kind]: kind,
      [StreamHeader.RemoteAddr]: '203.0.113.7:40001',
    });
  }

  /** Cuts every agent connection (a relay crash, as the agent sees it). */
  dropAgents(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAgents();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    const onData = (chunk: Buffer) => {
      let value: unknown;
      try {
        decoder.push(chunk);
        value = decoder.next();
      } catch {
        return void socket.destroy();
      }
      if (value === undefined) return;
      socket.removeListener('data', onData);
      socket.pause();
      let hello: Hello;
      try {
        hello = parseHello(value);
      } catch {
        return void socket.destroy();
      }
      const n = this.hellos.push(hello) - 1;
      const decision = this.opts.onHello?.(hello, n);
      if (decision === 'drop') return void socket.destroy();
      if (decision === 'silence') return;
      if (decision === 'garbage')
        return void socket.write(Buffer.from([0, 0, 0, 5, 0x7b, 0x6e, 0x6f, 0x70, 0x65]));
      if (decision?.type === 'error') return void socket.end(encodeFrame(decision));
      const welcome: Welcome = decision ?? {
        type: 'welcome',
        version: PROTOCOL_VERSION,
        sessionId: randomBytes(8).toString('hex'),
        region: 'local',
        tunnels: hello.tunnels.map(grantFor),
        heartbeatSeconds: this.opts.heartbeatSeconds ?? 10,
      };
      // Anything the agent sent past its hello belongs to the mux.
      const rest = decoder.rest();
      if (rest.length) socket.unshift(rest);
      const session = new MuxSession(socket, { role: 'opener' });
      session.on('error', () => undefined);
      if (this.opts.coalesce ?? true) {
        // One write: the session's frames written in this tick leave with the welcome when
        // the session uncorks (next tick), so the agent reads the PING behind the welcome.
        socket.cork();
        socket.write(encodeFrame(welcome));
        const firstPing = new Promise<number>((resolve, reject) =>
          session.ping((err, ms) => (err ? reject(err) : resolve(ms))),
        );
        firstPing.catch(() => undefined);
        socket.uncork();
        this.adopt({ hello, welcome, socket, session, firstPing });
      } else socket.write(encodeFrame(welcome), () => this.adopt({ hello, welcome, socket, session }));
    };
    socket.on('data', onData);
  }

  private adopt(c: Pick<AgentConnection, 'hello' | 'welcome' | 'socket' | 'session' | 'firstPing'>): void {
    const conn: AgentConnection = {
      ...c,
      goaway: new Promise((r) => c.session.once('goaway', () => r())),
      closed: new Promise((r) => c.socket.once('close', () => r())),
    };
    this.connections.push(conn);
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Methods a relay sends without a body (the stream ends on its HEADERS). */
const NO_BODY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE']);

/** Buffers a stream's response; rejects when it is reset or closes without a complete response. */
export function collect(stream: MuxStream): Promise<RelayResponse> {
  return new Promise((resolve, reject) => {
    let headers: RelayHeaders | undefined;
    let ended = false;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => (ended = true));
    stream.on('error', reject);
    stream.on('close', () => {
      if (ended && headers && stream.rstCode === MuxCode.NoError) {
        resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks) });
      } else reject(new Error(`stream closed without a complete response (rstCode ${stream.rstCode})`));
    });
  });
}
