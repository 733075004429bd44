import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { InspectionLog } from '@fdt/ports';
import { AgentStreamError, MuxCode, type MuxStream, StreamHeader } from '@fdt/protocol';
import { INSPECTION_LOG, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { sendVisitorError, visitorError, VisitorErrorCode } from '../../errors/visitor-errors.js';
import { LiveLimits } from '../../billing/live-limits.service.js';
import { ExchangeRecorder } from '../../inspection/exchange-recorder.js';
import { RelayMetrics } from '../../metrics/relay-metrics.js';
import { normalizeIp } from '../../policy/cidr.js';
import type { TunnelRoute } from '../../routing/route.js';
import { RoutingTable } from '../../routing/routing-table.js';
import { VisitorGate } from '../visitor-gate.js';
import { ClientIp } from './client-ip.js';
import { agentRequestHeaders, remoteAddr, visitorResponseHeaders } from './forward-headers.js';
import { visitorHost } from './visitor-host.js';

export type VisitorProto = 'http' | 'https';

export const WWW_AUTHENTICATE = 'Basic realm="fdt", charset="UTF-8"';

/** What the agent's fdt-error means for the visitor. */
export function agentErrorCode(agentError: string): VisitorErrorCode {
  switch (agentError) {
    case AgentStreamError.LocalUnreachable:
      return VisitorErrorCode.LocalUnreachable;
    case AgentStreamError.LocalTimeout:
      return VisitorErrorCode.LocalTimeout;
    case AgentStreamError.UnknownTunnel:
      return VisitorErrorCode.TunnelNotFound;
    default:
      return VisitorErrorCode.TunnelError;
  }
}

/** `ip` is the client's address, `peer` the connection's (they differ behind a trusted proxy). */
type Admission =
  | { route: TunnelRoute; host: string; ip: string; peer: string }
  | { refuse: VisitorErrorCode; host?: string };

/** The admission checks that need no waiting: host, route, IP policy. */
export function admitRoute(routing: RoutingTable, req: IncomingMessage, clients: ClientIp): Admission {
  const host = visitorHost(req.headers.host);
  if (!host) return { refuse: VisitorErrorCode.BadRequest };
  const route = routing.byHost(host);
  if (!route || route.proto !== 'http') {
    const offline = !route && routing.recentlyOffline(host);
    return { refuse: offline ? VisitorErrorCode.AgentOffline : VisitorErrorCode.TunnelNotFound, host };
  }
  const peer = normalizeIp(req.socket.remoteAddress);
  const ip = clients.of(req, peer);
  if (!route.policy.ipAllowed(ip)) return { refuse: VisitorErrorCode.IpDenied, host };
  return { route, host, ip, peer };
}

/** The admission checks every HTTP request and Upgrade passes, in order; a code when refused. */
export async function admit(
  routing: RoutingTable,
  req: IncomingMessage,
  clients: ClientIp,
): Promise<Admission> {
  const a = admitRoute(routing, req, clients);
  if ('refuse' in a) return a;
  if (!(await a.route.policy.authorized(req.headers.authorization)))
    return { refuse: VisitorErrorCode.BasicAuthRequired, host: a.host };
  return a;
}

/** Whether a visitor's HTTP/1.1 request carries a body (RFC 9112 §6.3). */
export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const length = h['content-length'];
  return length !== undefined && length !== '0';
}

export function refusalHeaders(code: VisitorErrorCode): Record<string, string> {
  if (code === VisitorErrorCode.BasicAuthRequired) return { 'www-authenticate': WWW_AUTHENTICATE };
  if (code === VisitorErrorCode.TooManyConnections || code === VisitorErrorCode.AgentOffline)
    return { 'retry-after': '1' };
  return {};
}

/**
 * One visitor HTTP request through a tunnel: admission, then an `http` stream to the agent
 * with the request body piped in and the response piped out as it comes (no buffering,
 * backpressure both ways), a deadline on the response head, and errors as pages.
 */
@Injectable()
export class HttpProxy {
  private readonly headTimeoutMs: number;
  private readonly logger = new Logger(HttpProxy.name);

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    private readonly routing: RoutingTable,
    private readonly gate: VisitorGate,
    private readonly metrics: RelayMetrics,
    @Inject(INSPECTION_LOG) private readonly inspection: InspectionLog,
    private readonly clients: ClientIp,
    private readonly limits: LiveLimits,
  ) {
    this.headTimeoutMs = config.relay.upstreamTimeoutSeconds * 1000;
  }

  /**
   * Every visitor request. The usual case (no edge basic auth, the agent's link up) runs
   * without a promise: this is the hot path of the relay.
   */
  handle(req: IncomingMessage, res: ServerResponse, proto: VisitorProto): void {
    const started = performance.now();
    const a = admitRoute(this.routing, req, this.clients);
    if ('refuse' in a) {
      // Not held here: another relay may hold it (peering answers the visitor if it takes it).
      if (this.routing.remote?.http(req, res, proto, a.refuse, a.host)) return;
      return this.refuse(req, res, a.refuse, a.host);
    }
    if (!a.route.policy.requiresAuth) return this.admitted(req, res, proto, a, started);
    a.route.policy.authorized(req.headers.authorization).then(
      (ok) =>
        ok
          ? this.admitted(req, res, proto, a, started)
          : this.refuse(req, res, VisitorErrorCode.BasicAuthRequired, a.host),
      (e: unknown) => this.crashed(e, req, res, a.host),
    );
  }

  private admitted(
    req: IncomingMessage,
    res: ServerResponse,
    proto: VisitorProto,
    { route, host, ip, peer }: { route: TunnelRoute; host: string; ip: string; peer: string },
    started: number,
  ): void {
    const refused = this.gate.acquire(route);
    if (refused) return this.refuse(req, res, refused, host);
    const requestId = randomUUID();
    // A client named by a proxy's X-Forwarded-For has no port we know.
    const remotePort = ip === peer ? (req.socket.remotePort ?? 0) : 0;
    // HTTP/1.1 framing says whether a body follows: none ends the stream on its HEADERS.
    const noBody = !hasBody(req);
    const headers = agentRequestHeaders(req, {
      proto,
      remoteIp: ip,
      peerIp: peer,
      remotePort,
      tunnelId: route.tunnelId,
      requestId,
      kind: 'http',
      dropAuthorization: route.policy.requiresAuth,
    });
    const link = this.gate.linkNow(route);
    if (link) {
      const stream = this.gate.openOn(link, headers, noBody);
      return this.exchange(req, res, route, host, ip, remotePort, requestId, noBody, started, stream);
    }
    // The agent's welcome is still on its way: wait for its link (bounded).
    this.gate.open(route, headers, noBody).then(
      (stream) => this.exchange(req, res, route, host, ip, remotePort, requestId, noBody, started, stream),
      (e: unknown) => {
        this.gate.release(route);
        this.crashed(e, req, res, host);
      },
    );
  }

  private exchange(
    req: IncomingMessage,
    res: ServerResponse,
    route: TunnelRoute,
    host: string,
    ip: string,
    remotePort: number,
    requestId: string,
    noBody: boolean,
    started: number,
    stream: MuxStream | undefined,
  ): void {
    if (!stream) {
      this.gate.release(route);
      return this.refuse(req, res, VisitorErrorCode.AgentOffline, host);
    }
    if (res.closed) {
      // The visitor left while the link was coming up.
      stream.close(MuxCode.Cancel);
      this.gate.release(route);
      return;
    }
    // The org's plan says how long its requests are kept; a plan that keeps none records none.
    const retentionHours = route.inspect ? this.limits.inspectionRetentionHours(route.orgId) : 0;
    const recorder =
      retentionHours > 0 && route.host
        ? new ExchangeRecorder(
            this.inspection,
            { orgId: route.orgId, tunnel: route.name, host: route.host },
            requestId,
            req,
            remoteAddr(ip, remotePort),
            retentionHours * 3600,
            !noBody,
          )
        : undefined;
    let error: VisitorErrorCode | undefined;
    const fail = (code: VisitorErrorCode) => {
      if (error || res.writableFinished) return;
      error = code;
      req.unpipe(stream);
      if (!stream.destroyed) stream.close(MuxCode.Cancel);
      // Mid-body there is no way to say it but cutting the connection.
      if (res.headersSent) res.destroy();
      else this.refuse(req, res, code, host);
    };

    // The wait for the response head starts once the request has been sent: an upload that
    // takes longer than the timeout is not the local service being slow (nginx's read timeout).
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const awaitHead = () => {
      if (!answered && !error)
        timer = setTimeout(() => fail(VisitorErrorCode.LocalTimeout), this.headTimeoutMs);
    };
    if (noBody) awaitHead();
    else {
      // Meanwhile a body that stops arriving for as long is cut (408): a stalled upload holds nothing.
      req.setTimeout(this.headTimeoutMs, () => fail(VisitorErrorCode.RequestTimeout));
      stream.once('finish', () => {
        req.setTimeout(0);
        awaitHead();
      });
    }
    res.once('close', () => {
      clearTimeout(timer);
      this.gate.release(route);
      this.gate.usage.meter('http', req.socket, route.orgId);
      // The visitor went away mid-exchange: the agent stops too.
      if (!res.writableFinished && !stream.destroyed) stream.close(MuxCode.Cancel);
      this.metrics.observeRequest(res.statusCode, (performance.now() - started) / 1000);
      recorder?.finish(res.statusCode, error);
    });

    stream.once('response', (headers, _flags, rawHeaders) => {
      answered = true;
      clearTimeout(timer);
      const agentError = headers[StreamHeader.Error];
      if (typeof agentError === 'string') return fail(agentErrorCode(agentError));
      this.respond(res, stream, Number(headers[':status']), rawHeaders, recorder, fail);
    });
    stream.on('error', () => fail(VisitorErrorCode.TunnelError));
    stream.on('close', () => {
      // Reset before the response ended: the agent died, or refused the stream.
      if (!res.writableEnded) fail(VisitorErrorCode.TunnelError);
    });
    if (noBody) req.resume();
    else {
      req.on('error', () => stream.close(MuxCode.Cancel));
      req.pipe(stream);
    }
  }

  private respond(
    res: ServerResponse,
    stream: MuxStream,
    status: number,
    rawHeaders: readonly string[],
    recorder: ExchangeRecorder | undefined,
    fail: (code: VisitorErrorCode) => void,
  ): void {
    if (res.headersSent || res.writableEnded) return;
    // A final status only: informational ones arrive as 'headers', never here.
    if (!Number.isInteger(status) || status < 200 || status > 599) return fail(VisitorErrorCode.TunnelError);
    const headers = visitorResponseHeaders(rawHeaders);
    try {
      res.writeHead(status, headers);
    } catch {
      return fail(VisitorErrorCode.TunnelError);
    }
    recorder?.response(status, headers);
    let bodyStarted = false;
    // The body, with backpressure: what pipe() does, without the dozen closures and listeners
    // it sets up per request (6% of the relay's allocations under load A). A visitor that has
    // gone closes the stream (the 'close' handler above), so nothing waits on a dead 'drain'.
    stream.on('data', (chunk: Buffer) => {
      bodyStarted = true;
      recorder?.responseChunk(chunk);
      if (res.destroyed) return;
      if (!res.write(chunk)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.once('end', () => {
      if (!res.destroyed) res.end();
    });
    // Streaming answers (SSE, chunked) reach the visitor before their first byte of body. A
    // body already here (the usual case: it came in the same read as the head and has been
    // written by now) leaves with the head, in one write.
    process.nextTick(() => {
      if (!bodyStarted && !res.writableEnded && !res.destroyed) res.flushHeaders();
    });
  }

  /** A bug, not a visitor's fault: logged, and the visitor gets a 502 page if it can. */
  private crashed(e: unknown, req: IncomingMessage, res: ServerResponse, host: string): void {
    this.logger.error(`request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (!res.headersSent && !res.writableEnded) this.refuse(req, res, VisitorErrorCode.TunnelError, host);
    else res.destroy();
  }

  refuse(req: IncomingMessage, res: ServerResponse, code: VisitorErrorCode, host?: string): void {
    this.metrics.rejected(code);
    sendVisitorError(res, visitorError(code, host), req.headers.accept, refusalHeaders(code));
  }
}
