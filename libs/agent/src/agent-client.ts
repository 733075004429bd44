import { EventEmitter } from 'node:events';
import { HANDSHAKE_TIMEOUT_MS } from '@fdt/protocol';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { AgentError, AgentErrorCode, AuthError } from './errors.js';
import type { AgentEvents, ClosedEvent } from './events.js';
import { asAgentError, LinkLoop, type LinkSettings } from './link-loop.js';
import { LocalSide, type InspectorOptions } from './local-side.js';
import type { RelayLink } from './relay-link.js';
import type { CaOption } from './tls-trust.js';
import { TunnelSet, type TunnelInfo, type TunnelSpec } from './tunnel-set.js';

export type { InspectorOptions } from './local-side.js';
export type { TunnelInfo, TunnelSpec } from './tunnel-set.js';

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

export type AgentState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'closing' | 'closed';

/**
 * The tunnel client: one session with a relay carrying several tunnels. This is its handle:
 * it holds the options, the state and the events, and the stop signal. The link loop
 * (link-loop.ts) exchanges the authtoken for a session, connects, handshakes, serves the
 * streams the relay opens on that outbound connection through the local side
 * (local-side.ts), and reconnects with the same names and ports until closed or refused.
 */
export class AgentClient extends EventEmitter<AgentEvents> {
  private readonly tunnelSet: TunnelSet;
  private readonly local: LocalSide;
  private readonly loop: LinkLoop;
  private readonly checkLocal: boolean;
  /** aborted by close() and when the client finishes: the loop and the local side stop */
  private readonly stop = new AbortController();
  private _state: AgentState = 'idle';
  private _rttMs: number | undefined;
  private closing: Promise<void> | undefined;
  private readonly finished: Promise<ClosedEvent>;
  private resolveFinished!: (e: ClosedEvent) => void; // assigned in the constructor's Promise executor

  constructor(options: AgentClientOptions) {
    super();
    if (!options.authtoken) throw new AuthError('no authtoken given (pass authtoken, or set FDT_AUTHTOKEN)');
    const stepTimeoutMs = options.stepTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    const settings: LinkSettings = {
      authtoken: options.authtoken,
      apiUrl: options.apiUrl,
      region: options.region,
      ca: options.ca,
      clientVersion: options.clientVersion ?? '0.0.0',
      closeTimeoutMs: options.closeTimeoutMs ?? 1_500,
      pingIntervalMs: options.pingIntervalMs ?? 10_000,
      stepTimeoutMs,
      startRetryMs: options.startRetryMs ?? 60_000,
      nameGraceMs: options.nameGraceMs ?? 45_000,
    };
    this.checkLocal = options.checkLocal ?? true;
    this.tunnelSet = new TunnelSet(options.tunnels);
    const emit: EventEmitter<AgentEvents>['emit'] = this.emit.bind(this);
    const stopped = this.stop.signal;
    this.local = new LocalSide({
      tunnels: this.tunnelSet,
      inspector: options.inspector,
      localTimeoutMs: options.localTimeoutMs ?? 60_000,
      connectTimeoutMs: stepTimeoutMs,
      maxSockets: options.maxLocalSockets ?? 256,
      verifyLocalTls: options.verifyLocalTls ?? false,
      stopped,
      emit,
    });
    this.loop = new LinkLoop({
      settings,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      tunnels: this.tunnelSet,
      serve: this.local.serve,
      stopped,
      onOnline: () => (this._state = 'online'),
      onReconnecting: () => (this._state = 'reconnecting'),
      onRtt: (ms) => (this._rttMs = ms),
      onFatal: (err) => this.finish(err),
      emit,
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
    return this.tunnelSet.infos();
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
    let link: RelayLink;
    try {
      link = await this.loop.firstLink();
    } catch (e) {
      const err = asAgentError(e);
      // close() during start is a stop, not a failure.
      this.finish(this.state === 'closing' ? undefined : err);
      throw err;
    }
    this.loop.adopt(link, true);
    await this.local.start(this.checkLocal);
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
      this.stop.abort();
      await this.loop.drain();
      this.finish(undefined);
    })();
    return this.closing;
  }

  /** The local inspector's URL, once it listens. */
  inspectorUrl(): string | undefined {
    return this.local.inspectorUrl;
  }

  private finish(error: AgentError | undefined): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.stop.abort();
    this.loop.destroy();
    this.local.close();
    const event: ClosedEvent = error ? { error } : {};
    this.emit('closed', event);
    this.resolveFinished(event);
  }
}
