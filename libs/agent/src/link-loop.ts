import type { EventEmitter } from 'node:events';
import { HandshakeErrorCode, PROTOCOL_VERSION, type Hello } from '@fdt/protocol';
import { Backoff, type BackoffOptions } from './backoff.js';
import { AgentError, AgentErrorCode, AuthError, RefusedError } from './errors.js';
import type { AgentEvents } from './events.js';
import { RelayLink, type ServeStream } from './relay-link.js';
import type { AgentSessionGrant } from './session-api.js';
import { SessionGrants } from './session-grants.js';
import type { CaOption } from './tls-trust.js';
import { dialRelay, handshake } from './transport.js';
import type { TunnelSet } from './tunnel-set.js';

const CLIENT_NAME = 'fdt';
/** After this many failed dials of the same relay, ask the api again (it may assign another). */
const DIALS_BEFORE_EXCHANGE = 3;

export function asAgentError(e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  const err = e as NodeJS.ErrnoException;
  return new AgentError(
    AgentErrorCode.ConnectionLost,
    `relay connection failed: ${err?.code ?? err?.message ?? String(e)}`,
    { retryable: true, cause: e },
  );
}

/** The client's options the loop runs on, defaults applied. */
export interface LinkSettings {
  authtoken: string;
  apiUrl: string;
  region?: string;
  ca?: CaOption;
  clientVersion: string;
  stepTimeoutMs: number;
  startRetryMs: number;
  nameGraceMs: number;
  pingIntervalMs: number;
  closeTimeoutMs: number;
}

export interface LinkLoopOptions {
  settings: LinkSettings;
  backoff: BackoffOptions;
  tunnels: TunnelSet;
  /** answers the streams of every link */
  serve: ServeStream;
  /** the handle's stop (close(), or the client finished): no new link, no further attempt */
  stopped: AbortSignal;
  /** state updates to the handle */
  onOnline: () => void;
  onReconnecting: () => void;
  onRtt: (ms: number) => void;
  /** the loop gave up on a reconnect: the client ends with this error */
  onFatal: (err: AgentError) => void;
  emit: EventEmitter<AgentEvents>['emit'];
}

/**
 * The agent's link loop: exchanges the authtoken for a session, dials the relay it names,
 * handshakes, serves the relay's streams on the link, and when the link is lost reconnects
 * with backoff (asking for the same names and ports) until stopped or refused. The handle
 * (AgentClient) owns the stop signal and the client's state; the loop owns the sockets and
 * the retry policy.
 */
export class LinkLoop {
  private readonly sessions: SessionGrants;
  private readonly backoff: Backoff;
  /** the link the tunnels are served on */
  private link: RelayLink | undefined;
  /** every live link, including ones draining after the relay said GOAWAY */
  private readonly links = new Set<RelayLink>();

  constructor(private readonly o: LinkLoopOptions) {
    const s = o.settings;
    this.sessions = new SessionGrants({
      apiUrl: s.apiUrl,
      authtoken: s.authtoken,
      region: s.region,
      ca: s.ca,
      timeoutMs: s.stepTimeoutMs,
      userAgent: `${CLIENT_NAME}/${s.clientVersion} node/${process.version}`,
    });
    this.backoff = new Backoff(o.backoff);
  }

  /**
   * The first link. An api that is down or failing for a moment (a restart, a deploy) is
   * retried for up to startRetryMs, as a reconnect would be: an agent started during an api
   * outage comes up when the api is back. Anything else (bad authtoken, refused, relay
   * failures) fails at once. Rejects with an AgentError.
   */
  async firstLink(): Promise<RelayLink> {
    const since = Date.now();
    const { startRetryMs } = this.o.settings;
    this.backoff.reset();
    for (;;) {
      try {
        return await this.connect(false);
      } catch (e) {
        const err = asAgentError(e);
        const apiDown = err.code === AgentErrorCode.ApiUnreachable || err.code === AgentErrorCode.ApiError;
        if (!apiDown || !err.retryable || Date.now() - since >= startRetryMs) throw err;
        const delayMs = Math.min(this.backoff.next(), Math.max(0, since + startRetryMs - Date.now()));
        this.o.emit('reconnecting', { attempt: this.backoff.attempt, delayMs, reason: err.message });
        await this.sleep(delayMs);
        // Stopped during start: a stop (start() reports it as such).
        if (this.o.stopped.aborted) throw err;
      }
    }
  }

  /** Serves the tunnels on `link` (the first one, from firstLink(), or a reconnect's). */
  adopt(link: RelayLink, first: boolean): void {
    const changed = this.o.tunnels.adopt(link.welcome);
    this.link = link;
    this.o.onOnline();
    link.startPings(this.o.settings.pingIntervalMs, this.o.onRtt);
    if (first) {
      const account = this.sessions.account;
      this.o.emit('session_started', {
        sessionId: link.welcome.sessionId,
        region: link.welcome.region,
        relay: link.relay,
        ...(account ? { account: account.user, org: account.org } : {}),
      });
    }
    for (const { id, ...info } of changed) this.o.emit('tunnel_online', { tunnel: id, ...info });
  }

  /** Drains every link (GOAWAY, in-flight streams get closeTimeoutMs). */
  async drain(): Promise<void> {
    await Promise.all([...this.links].map((l) => l.drain(this.o.settings.closeTimeoutMs)));
  }

  /** Tears every link down at once. */
  destroy(): void {
    for (const l of this.links) l.destroy();
    this.links.clear();
  }

  /** A session (exchanged when missing, near expiry, or forced) and a link on it. */
  private async connect(forceExchange: boolean): Promise<RelayLink> {
    const { grant, fresh } = await this.sessions.current(forceExchange);
    try {
      return await this.openLink(grant);
    } catch (e) {
      // A token the relay no longer takes (expired, keys rotated): one fresh exchange.
      if (e instanceof AuthError && !fresh) return this.openLink(await this.sessions.exchange());
      throw e;
    }
  }

  private async openLink(grant: AgentSessionGrant): Promise<RelayLink> {
    const { ca, stepTimeoutMs } = this.o.settings;
    const { host, port, tls } = grant.relay;
    const socket = await dialRelay({ host, port, tls, ca, timeoutMs: stepTimeoutMs });
    const { welcome, rest } = await handshake(socket, this.hello(grant.token), stepTimeoutMs);
    socket.on('error', () => undefined); // the session reports it, then closes
    const missing = this.o.tunnels.ungranted(welcome);
    if (missing || this.o.stopped.aborted) {
      socket.destroy();
      if (missing)
        throw new AgentError(
          AgentErrorCode.HandshakeFailed,
          `the relay granted no URL for tunnel "${missing}"`,
        );
      throw new AgentError(AgentErrorCode.ConnectionLost, 'closed while connecting');
    }
    const link = new RelayLink(socket, rest, {
      relay: `${host}:${port}`,
      welcome,
      serve: this.o.serve,
      onDown: (l, reason, freshSession) => this.linkDown(l, reason, freshSession),
      onClose: (l) => this.links.delete(l),
    });
    this.links.add(link);
    return link;
  }

  private hello(token: string): Hello {
    return {
      type: 'hello',
      version: PROTOCOL_VERSION,
      token,
      client: { name: CLIENT_NAME, version: this.o.settings.clientVersion },
      tunnels: this.o.tunnels.requests(),
    };
  }

  private linkDown(link: RelayLink, reason: string, freshSession: boolean): void {
    if (link !== this.link) return;
    this.link = undefined;
    if (this.o.stopped.aborted) return;
    void this.reconnect(reason, freshSession);
  }

  private async reconnect(reason: string, freshSession: boolean): Promise<void> {
    this.o.onReconnecting();
    const stopped = this.o.stopped;
    const downSince = Date.now();
    this.backoff.reset();
    let dialFailures = 0;
    let forceExchange = freshSession;
    while (!stopped.aborted) {
      const delayMs = this.backoff.next();
      this.o.emit('reconnecting', { attempt: this.backoff.attempt, delayMs, reason });
      await this.sleep(delayMs);
      if (stopped.aborted) return;
      try {
        const link = await this.connect(forceExchange);
        if (stopped.aborted) {
          await link.drain(this.o.settings.closeTimeoutMs);
          return;
        }
        this.adopt(link, false);
        this.o.emit('reconnected', {
          sessionId: link.welcome.sessionId,
          relay: link.relay,
          attempts: this.backoff.attempt,
          downtimeMs: Date.now() - downSince,
        });
        return;
      } catch (e) {
        const err = asAgentError(e);
        if (stopped.aborted) return;
        if (this.fatal(err, downSince)) return this.o.onFatal(err);
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
      if (Date.now() - downSince < this.o.settings.nameGraceMs) return false;
      const t = err.tunnelId ? this.o.tunnels.get(err.tunnelId) : undefined;
      if (t && !t.userChoseAddress) {
        // A random name we only remembered: let the relay pick a new one (the URL changes).
        this.o.tunnels.forget(t.id);
        return false;
      }
      return true;
    }
    return !err.retryable;
  }

  /** Waits `ms`, or less when the loop is stopped meanwhile. */
  private sleep(ms: number): Promise<void> {
    const stopped = this.o.stopped;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        stopped.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      stopped.addEventListener('abort', done, { once: true });
    });
  }
}
