import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  HANDSHAKE_TIMEOUT_MS,
  HandshakeErrorCode,
  MuxSession,
  PROTOCOL_VERSION,
  tunnelRequestSchema,
  type Hello,
  type TunnelGrant,
  type TunnelProto,
  type TunnelRequest,
  type Welcome,
} from '@fdt/protocol';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { AgentError, AgentErrorCode, AuthError, InvalidOptionsError, RefusedError } from './errors.js';
import type { AgentEvents, ClosedEvent } from './events.js';
import { StreamForwarder, type StreamRoute } from './forwarder.js';
import { ExchangeRecorder, InspectorServer, type RecorderOptions } from './inspector/index.js';
import { createAgentSession, type AgentSessionGrant } from './session-api.js';
import { formatTarget, parseTarget, type LocalTarget } from './target.js';
import type { CaOption } from './tls-trust.js';
import { dialRelay, handshake } from './transport.js';
import { parseBasicAuth, parseCidr, type BasicAuthCredential } from './tunnel-options.js';

/** One tunnel to open: where it forwards to, and what the public side should look like. */
export interface TunnelSpec {
  /** the tunnel's key in the session (default: its name, else its proto) */
  id?: string;
  proto: TunnelProto;
  /** the local target: a port, host:port, or for http an http(s):// URL */
  addr: string | number;
  /** wanted name: `<name>.<base domain>` (http, tls) */
  name?: string;
  /** wanted full host (custom domain, tls passthrough host) */
  domain?: string;
  /** tcp: wanted public port (from the org's reserved addresses) */
  remotePort?: number;
  /** `user:password` strings or credentials the edge asks visitors for */
  basicAuth?: (string | BasicAuthCredential)[];
  allowCidrs?: string[];
  denyCidrs?: string[];
  maxConns?: number;
  /** record HTTP exchanges for inspection (default true) */
  inspect?: boolean;
}

export interface AgentClientOptions {
  authtoken: string;
  apiUrl: string;
  tunnels: TunnelSpec[];
  /** preferred relay region */
  region?: string;
  /** extra CAs (PEM) to trust for the api and the relay, besides the system's */
  ca?: CaOption;
  /** reported to the relay in the hello */
  clientVersion?: string;
  /** the local service must answer within this (ms), else 504 (default 60 s) */
  localTimeoutMs?: number;
  /** close(): how long in-flight requests may take (default 1.5 s, so the CLI exits within 2 s) */
  closeTimeoutMs?: number;
  /** how often the agent pings the relay (default 10 s) */
  pingIntervalMs?: number;
  /** bound on each network step: api call, relay dial, handshake (default 10 s) */
  stepTimeoutMs?: number;
  /**
   * start(): how long an api that cannot be reached or answers 5xx/429 (restarting, being
   * deployed, no relay online yet) is retried, with the reconnect backoff, before start()
   * fails with its error (default 60 s; 0: fail at once)
   */
  startRetryMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** after a reconnect, how long `name_taken` is taken for our own stale session (default 45 s) */
  nameGraceMs?: number;
  /** local sockets per target for http streams (default 256) */
  maxLocalSockets?: number;
  /** verify the certificate of https:// local targets (default false) */
  verifyLocalTls?: boolean;
  /** warn at start when nothing listens on a local target (default true) */
  checkLocal?: boolean;
  /**
   * the local inspector of http tunnels (those without `inspect: false`): `true` or options
   * to serve it (the CLI does by default), `false`/absent for none
   */
  inspector?: boolean | InspectorOptions;
}

export interface InspectorOptions extends RecorderOptions {
  /** `host:port` on loopback (default 127.0.0.1:4040; when taken, the next 9 ports are tried) */
  addr?: string;
}

/** A tunnel as the relay granted it. */
export interface TunnelInfo {
  id: string;
  proto: TunnelProto;
  name: string;
  url: string;
  urls: string[];
  /** the local target, e.g. `http://127.0.0.1:3000` */
  addr: string;
  host?: string;
  port?: number;
}

export type AgentState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'closing' | 'closed';

interface ResolvedTunnel {
  id: string;
  proto: TunnelProto;
  target: LocalTarget;
  /** the request without the sticky name/port a previous grant adds */
  request: TunnelRequest;
  /** the name or port was chosen by the user (vs. remembered from a grant) */
  userChoseAddress: boolean;
}

/** One connection to a relay, from the handshake to its close. */
interface Link {
  session: MuxSession;
  welcome: Welcome;
  relay: string;
  lastSeen: number;
  pingInFlight: boolean;
  timer?: NodeJS.Timeout;
  down: boolean;
}

const CLIENT_NAME = 'fdt';
/** Sessions are re-exchanged this long (ms) before their token expires. */
const TOKEN_MARGIN_MS = 60_000;
/** After this many failed dials of the same relay, ask the api again (it may assign another). */
const DIALS_BEFORE_EXCHANGE = 3;

function asAgentError(e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  const err = e as NodeJS.ErrnoException;
  return new AgentError(
    AgentErrorCode.ConnectionLost,
    `relay connection failed: ${err?.code ?? err?.message ?? String(e)}`,
    { retryable: true, cause: e },
  );
}

/** Validates the specs once, up front: bad options are exit 2 before any network. */
function resolveTunnels(specs: TunnelSpec[]): ResolvedTunnel[] {
  if (!specs.length) throw new InvalidOptionsError('no tunnel to open');
  const ids = new Set<string>();
  const perProto = new Map<string, number>();
  return specs.map((s) => {
    const n = (perProto.get(s.proto) ?? 0) + 1;
    perProto.set(s.proto, n);
    const id = s.id ?? s.name ?? (n === 1 ? s.proto : `${s.proto}-${n}`);
    if (ids.has(id)) throw new InvalidOptionsError(`two tunnels have the id "${id}"`);
    ids.add(id);
    if (s.proto === 'tls' && !s.domain)
      throw new InvalidOptionsError(`tunnel "${id}": a tls tunnel needs a domain`);
    const target = parseTarget(s.addr, s.proto);
    const candidate = {
      id,
      proto: s.proto,
      ...(s.name ? { name: s.name } : {}),
      ...(s.domain ? { domain: s.domain } : {}),
      ...(s.remotePort !== undefined ? { port: s.remotePort } : {}),
      ...(s.basicAuth?.length ? { basicAuth: s.basicAuth.map(parseBasicAuth) } : {}),
      ...(s.allowCidrs?.length ? { allowCidrs: s.allowCidrs.map(parseCidr) } : {}),
      ...(s.denyCidrs?.length ? { denyCidrs: s.denyCidrs.map(parseCidr) } : {}),
      ...(s.maxConns !== undefined ? { maxConns: s.maxConns } : {}),
      ...(s.inspect !== undefined ? { inspect: s.inspect } : {}),
    };
    const parsed = tunnelRequestSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidOptionsError(
        `tunnel "${id}": ${issue?.path.join('.') || 'options'}: ${issue?.message}`,
      );
    }
    return {
      id,
      proto: s.proto,
      target,
      request: parsed.data,
      userChoseAddress: Boolean(s.name || s.domain || s.remotePort),
    };
  });
}

/**
 * The tunnel client: one session with a relay carrying several tunnels. It exchanges the
 * authtoken for a session, connects (TLS), handshakes, then answers the streams the relay
 * opens on that same outbound connection (the fdt mux), and reconnects with the same names
 * and ports until closed or refused.
 */
export class AgentClient extends EventEmitter<AgentEvents> {
  private readonly tunnelsById: Map<string, ResolvedTunnel>;
  private readonly forwarder: StreamForwarder;
  private readonly backoff: Backoff;
  private readonly recorder: ExchangeRecorder | undefined;
  private readonly inspectAddr: string | undefined;
  private inspectorServer: InspectorServer | undefined;
  private readonly o: Required<
    Omit<AgentClientOptions, 'region' | 'ca' | 'backoff' | 'tunnels' | 'inspector'>
  > &
    Pick<AgentClientOptions, 'region' | 'ca'>;
  private grant: AgentSessionGrant | undefined;
  private link: Link | undefined;
  /** every live link, including ones draining after the relay said GOAWAY */
  private readonly links = new Set<Link>();
  private readonly granted = new Map<string, TunnelGrant>();
  private _state: AgentState = 'idle';
  private _rttMs: number | undefined;
  private wake: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly finished: Promise<ClosedEvent>;
  private resolveFinished!: (e: ClosedEvent) => void; // assigned in the constructor's Promise executor

  constructor(options: AgentClientOptions) {
    super();
    if (!options.authtoken) throw new AuthError('no authtoken given (pass authtoken, or set FDT_AUTHTOKEN)');
    this.o = {
      authtoken: options.authtoken,
      apiUrl: options.apiUrl,
      region: options.region,
      ca: options.ca,
      clientVersion: options.clientVersion ?? '0.0.0',
      localTimeoutMs: options.localTimeoutMs ?? 60_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 1_500,
      pingIntervalMs: options.pingIntervalMs ?? 10_000,
      stepTimeoutMs: options.stepTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      startRetryMs: options.startRetryMs ?? 60_000,
      nameGraceMs: options.nameGraceMs ?? 45_000,
      maxLocalSockets: options.maxLocalSockets ?? 256,
      verifyLocalTls: options.verifyLocalTls ?? false,
      checkLocal: options.checkLocal ?? true,
    };
    this.tunnelsById = new Map(resolveTunnels(options.tunnels).map((t) => [t.id, t]));
    this.backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    const inspected = options.tunnels.some((t) => t.proto === 'http' && t.inspect !== false);
    if (options.inspector && inspected) {
      const io = options.inspector === true ? {} : options.inspector;
      this.recorder = new ExchangeRecorder(io);
      this.inspectAddr = io.addr;
    }
    const recorder = this.recorder;
    this.forwarder = new StreamForwarder({
      route: (id) => this.route(id),
      localTimeoutMs: this.o.localTimeoutMs,
      connectTimeoutMs: this.o.stepTimeoutMs,
      maxSockets: this.o.maxLocalSockets,
      verifyLocalTls: this.o.verifyLocalTls,
      onRequest: (e) => this.emit('request', e),
      onConnection: (e) => this.emit('connection', e),
      ...(recorder
        ? {
            tap: (route, method, path) =>
              route.proto === 'http' && this.tunnelsById.get(route.id)?.request.inspect !== false
                ? recorder.begin(route.id, method, path)
                : undefined,
          }
        : {}),
    });
    this.finished = new Promise((r) => (this.resolveFinished = r));
  }

  get state(): AgentState {
    return this._state;
  }

  /** Round-trip time of the last ping to the relay (ms). */
  get rttMs(): number | undefined {
    return this._rttMs;
  }

  /** The tunnels as last granted. */
  tunnels(): TunnelInfo[] {
    return [...this.tunnelsById.values()].flatMap((t) => {
      const g = this.granted.get(t.id);
      return g ? [this.info(t, g)] : [];
    });
  }

  /** Resolves when the client stops for good: after close(), or with the error it gave up on. */
  wait(): Promise<ClosedEvent> {
    return this.finished;
  }

  /** Connects and opens every tunnel; resolves once they are online. */
  async start(): Promise<TunnelInfo[]> {
    if (this._state !== 'idle')
      throw new AgentError(AgentErrorCode.InvalidOptions, `start() called while ${this._state}`);
    this._state = 'connecting';
    let link: Link;
    try {
      link = await this.firstConnect();
    } catch (e) {
      const err = asAgentError(e);
      // close() during start is a stop, not a failure.
      this.finish(this.state === 'closing' ? undefined : err);
      throw err;
    }
    this.adopt(link, true);
    if (this.recorder) await this.openInspector(this.recorder);
    if (this.o.checkLocal) void this.checkLocalTargets();
    return this.tunnels();
  }

  /**
   * Stops taking new streams (GOAWAY), lets in-flight ones finish for up to
   * `closeTimeoutMs`, then tears everything down.
   */
  close(): Promise<void> {
    if (this._state === 'closed') return Promise.resolve();
    this.closing ??= (async () => {
      this._state = 'closing';
      this.wake?.();
      await Promise.all([...this.links].map((l) => this.drain(l)));
      this.finish(undefined);
    })();
    return this.closing;
  }

  /** The local inspector's URL, once it listens. */
  inspectorUrl(): string | undefined {
    return this.inspectorServer?.url;
  }

  private async openInspector(recorder: ExchangeRecorder): Promise<void> {
    const server = new InspectorServer({
      recorder,
      target: (id) => this.tunnelsById.get(id)?.target,
      localTimeoutMs: this.o.localTimeoutMs,
      verifyLocalTls: this.o.verifyLocalTls,
    });
    try {
      const url = await server.listen(this.inspectAddr);
      if (this._state === 'closed' || this._state === 'closing') return void (await server.close());
      this.inspectorServer = server;
      this.emit('inspector_online', { url });
    } catch (e) {
      this.emit('warning', { message: `the local inspector is off: ${(e as Error).message}` });
    }
  }

  private route(id: string): StreamRoute | undefined {
    // A tunnel is its own route (id, proto, target): nothing to build per stream.
    return this.tunnelsById.get(id);
  }

  private info(t: ResolvedTunnel, g: TunnelGrant): TunnelInfo {
    return {
      id: t.id,
      proto: t.proto,
      name: g.name,
      url: g.url,
      urls: g.urls?.length ? g.urls : [g.url],
      addr: formatTarget(t.target),
      ...(g.host ? { host: g.host } : {}),
      ...(g.port ? { port: g.port } : {}),
    };
  }

  private hello(token: string): Hello {
    return {
      type: 'hello',
      version: PROTOCOL_VERSION,
      token,
      client: { name: CLIENT_NAME, version: this.o.clientVersion },
      tunnels: [...this.tunnelsById.values()].map((t) => {
        // Ask for what we had last time, so URLs survive reconnects and relay restarts.
        const g = this.granted.get(t.id);
        const r: TunnelRequest = { ...t.request };
        if (g && t.proto !== 'tcp' && !r.name && !r.domain && g.name) r.name = g.name;
        if (g && t.proto === 'tcp' && r.port === undefined && g.port) r.port = g.port;
        return r;
      }),
    };
  }

  private async exchange(): Promise<AgentSessionGrant> {
    this.grant = await createAgentSession({
      apiUrl: this.o.apiUrl,
      authtoken: this.o.authtoken,
      region: this.o.region,
      ca: this.o.ca,
      timeoutMs: this.o.stepTimeoutMs,
      userAgent: `${CLIENT_NAME}/${this.o.clientVersion} node/${process.version}`,
    });
    return this.grant;
  }

  /**
   * The first connect. An api that is down or failing for a moment (a restart, a deploy) is
   * retried for up to startRetryMs, as a reconnect would be: an agent started during an api
   * outage comes up when the api is back. Anything else (bad authtoken, refused, relay
   * failures) fails start() at once, as before.
   */
  private async firstConnect(): Promise<Link> {
    const since = Date.now();
    this.backoff.reset();
    for (;;) {
      try {
        return await this.connect(false);
      } catch (e) {
        const err = asAgentError(e);
        const apiDown = err.code === AgentErrorCode.ApiUnreachable || err.code === AgentErrorCode.ApiError;
        if (!apiDown || !err.retryable || Date.now() - since >= this.o.startRetryMs) throw err;
        const delayMs = Math.min(this.backoff.next(), Math.max(0, since + this.o.startRetryMs - Date.now()));
        this.emit('reconnecting', { attempt: this.backoff.attempt, delayMs, reason: err.message });
        await this.sleep(delayMs);
        // close() during start: a stop (start() reports it as such).
        if (this._state !== 'connecting') throw err;
      }
    }
  }

  /** A session (exchanged when missing, near expiry, or forced) and a link on it. */
  private async connect(forceExchange: boolean): Promise<Link> {
    let fresh = false;
    let grant = this.grant;
    if (!grant || forceExchange || grant.expiresAt.getTime() - Date.now() < TOKEN_MARGIN_MS) {
      grant = await this.exchange();
      fresh = true;
    }
    try {
      return await this.openLink(grant);
    } catch (e) {
      // A token the relay no longer takes (expired, keys rotated): one fresh exchange.
      if (e instanceof AuthError && !fresh) return this.openLink(await this.exchange());
      throw e;
    }
  }

  private async openLink(grant: AgentSessionGrant): Promise<Link> {
    const relay = `${grant.relay.host}:${grant.relay.port}`;
    const socket = await dialRelay({
      host: grant.relay.host,
      port: grant.relay.port,
      tls: grant.relay.tls,
      ca: this.o.ca,
      timeoutMs: this.o.stepTimeoutMs,
    });
    const { welcome, rest } = await handshake(socket, this.hello(grant.token), this.o.stepTimeoutMs);
    socket.on('error', () => undefined); // the session reports it, then closes
    const missing = [...this.tunnelsById.keys()].find(
      (id) => !welcome.tunnels.some((g) => g.id === id && typeof g.url === 'string'),
    );
    if (missing || this._state === 'closing' || this._state === 'closed') {
      socket.destroy();
      if (missing)
        throw new AgentError(
          AgentErrorCode.HandshakeFailed,
          `the relay granted no URL for tunnel "${missing}"`,
        );
      throw new AgentError(AgentErrorCode.ConnectionLost, 'closed while connecting');
    }
    // The mux reads `rest` (frames that came with the welcome) first, then the socket.
    if (rest.length) socket.unshift(rest);
    const session = new MuxSession(socket, { role: 'answerer' });
    const link: Link = { session, welcome, relay, lastSeen: Date.now(), pingInFlight: false, down: false };
    this.links.add(link);
    session.on('stream', (stream, headers, _flags, rawHeaders) =>
      this.forwarder.handle(stream, headers, rawHeaders),
    );
    session.on('ping', () => (link.lastSeen = Date.now()));
    // A link failure is followed by 'close', which acts on it.
    session.on('error', () => undefined);
    // A deliberate close by the relay (shutdown, revoked authtoken, changed policy): ask the
    // api again before reconnecting, it knows whether we may and which relay to use.
    session.on('goaway', (_code, _last, reason) =>
      this.linkDown(
        link,
        `the relay closed the session${reason.length ? `: ${reason.toString('utf8').slice(0, 200)}` : ''}`,
        true,
      ),
    );
    // The session closes once the socket does (and closes the socket when it ends first).
    session.on('close', () => {
      this.links.delete(link);
      this.linkDown(link, 'the relay connection closed');
    });
    return link;
  }

  private adopt(link: Link, first: boolean): void {
    const before = new Map([...this.granted].map(([id, g]) => [id, g.url]));
    for (const g of link.welcome.tunnels) if (this.tunnelsById.has(g.id)) this.granted.set(g.id, g);
    this.link = link;
    this._state = 'online';
    this.startPings(link);
    if (first)
      this.emit('session_started', {
        sessionId: link.welcome.sessionId,
        region: link.welcome.region,
        relay: link.relay,
        ...(this.grant?.account ? { account: this.grant.account.user, org: this.grant.account.org } : {}),
      });
    for (const t of this.tunnelsById.values()) {
      const g = this.granted.get(t.id);
      if (g && before.get(t.id) !== g.url) {
        const { id, ...info } = this.info(t, g);
        this.emit('tunnel_online', { tunnel: id, ...info });
      }
    }
  }

  private startPings(link: Link): void {
    // Dead after three missed heartbeats either way: the relay's pings or our ping answers.
    const deadAfter = Math.max(3 * (link.welcome.heartbeatSeconds || 10) * 1000, 3 * this.o.pingIntervalMs);
    link.timer = setInterval(() => {
      const s = link.session;
      if (s.destroyed || link.down) return;
      if (Date.now() - link.lastSeen > deadAfter) {
        this.linkDown(link, `no answer from the relay for ${Math.round(deadAfter / 1000)} s`);
        s.destroy(); // and its socket
        return;
      }
      if (link.pingInFlight) return;
      link.pingInFlight = s.ping((err, duration) => {
        link.pingInFlight = false;
        if (err) return;
        link.lastSeen = Date.now();
        this._rttMs = Math.round(duration * 10) / 10;
      });
    }, this.o.pingIntervalMs);
    link.timer.unref();
  }

  private linkDown(link: Link, reason: string, freshSession = false): void {
    if (link.down) return;
    link.down = true;
    clearInterval(link.timer);
    if (link !== this.link) return;
    this.link = undefined;
    if (this._state !== 'online') return;
    void this.reconnect(reason, freshSession);
  }

  private async reconnect(reason: string, freshSession: boolean): Promise<void> {
    this._state = 'reconnecting';
    const downSince = Date.now();
    this.backoff.reset();
    let dialFailures = 0;
    let forceExchange = freshSession;
    while (this._state === 'reconnecting') {
      const delayMs = this.backoff.next();
      this.emit('reconnecting', { attempt: this.backoff.attempt, delayMs, reason });
      await this.sleep(delayMs);
      if (this._state !== 'reconnecting') return;
      try {
        const link = await this.connect(forceExchange);
        if (this._state !== 'reconnecting') {
          await this.drain(link);
          return;
        }
        this.adopt(link, false);
        this.emit('reconnected', {
          sessionId: link.welcome.sessionId,
          relay: link.relay,
          attempts: this.backoff.attempt,
          downtimeMs: Date.now() - downSince,
        });
        return;
      } catch (e) {
        const err = asAgentError(e);
        if (this._state !== 'reconnecting') return;
        if (this.fatal(err, downSince)) return this.finish(err);
        forceExchange = false;
        if (err.code === AgentErrorCode.RelayUnreachable && ++dialFailures >= DIALS_BEFORE_EXCHANGE) {
          // The relay we were given may be gone for good; the api may assign another.
          forceExchange = true;
          dialFailures = 0;
        }
        reason = err.message;
      }
    }
  }

  /** Whether a failed reconnect attempt ends the client. */
  private fatal(err: AgentError, downSince: number): boolean {
    if (err instanceof AuthError) return true;
    if (err instanceof RefusedError && err.code === HandshakeErrorCode.NameTaken) {
      // Most likely our own previous session, which the relay has not yet noticed is gone.
      if (Date.now() - downSince < this.o.nameGraceMs) return false;
      const t = err.tunnelId ? this.tunnelsById.get(err.tunnelId) : undefined;
      if (t && !t.userChoseAddress) {
        // A random name we only remembered: let the relay pick a new one (the URL changes).
        this.granted.delete(t.id);
        return false;
      }
      return true;
    }
    return !err.retryable;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private drain(link: Link): Promise<void> {
    clearInterval(link.timer);
    return new Promise((resolve) => {
      const s = link.session;
      const finish = () => {
        clearTimeout(timer);
        s.destroy(); // and its socket
        resolve();
      };
      const timer = setTimeout(finish, this.o.closeTimeoutMs);
      if (s.destroyed) return finish();
      s.once('close', finish);
      // GOAWAY: the relay opens no new streams; open ones complete, then the link closes.
      s.close();
    });
  }

  private finish(error: AgentError | undefined): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.wake?.();
    for (const l of this.links) {
      clearInterval(l.timer);
      l.session.destroy(); // and its socket
    }
    this.links.clear();
    this.forwarder.close();
    void this.inspectorServer?.close();
    this.inspectorServer = undefined;
    const event: ClosedEvent = error ? { error } : {};
    this.emit('closed', event);
    this.resolveFinished(event);
  }

  /** A warning per local target nothing listens on: the tunnel stays up (the service may start later). */
  private async checkLocalTargets(): Promise<void> {
    await Promise.all(
      [...this.tunnelsById.values()].map(async (t) => {
        const err = await probe(t.target.host, t.target.port, 1_000);
        if (err && this._state !== 'closed') {
          this.emit('warning', {
            tunnel: t.id,
            message: `nothing answers at ${formatTarget(t.target)} (${err}); the tunnel is online and visitors get 502 until the local service starts`,
          });
        }
      }),
    );
  }
}

function probe(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (r: string | undefined) => {
      clearTimeout(t);
      s.destroy();
      resolve(r);
    };
    const t = setTimeout(() => done('no answer'), timeoutMs);
    s.once('connect', () => done(undefined));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}
