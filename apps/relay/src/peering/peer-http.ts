import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connectionTokens, HOP_BY_HOP_HEADERS } from '@fdt/protocol';
import { hasBody } from '../ingress/http/http-proxy.js';
import type { VisitorScheme } from '../routing/remote-routes.js';
import { isUnreachable, type PeerDialer } from './peer-dialer.js';
import type { PeerAddress } from './registry-keys.js';

/** How an exchange sent to a peer ended badly, for the visitor's error page. */
export type PeerFailure = 'unreachable' | 'timeout' | 'failed';

/**
 * One peer connection per visitor connection and peer: the preamble names one visitor, so
 * connections are not shared between visitors; a visitor's keep-alive requests reuse theirs.
 */
class PeerAgent extends http.Agent {
  constructor(
    private readonly dialer: PeerDialer,
    private readonly peer: PeerAddress,
    private readonly visitor: { proto: VisitorScheme; remoteAddress: string; remotePort: number },
  ) {
    // One socket: HTTP/1.1 requests of one visitor connection are sequential anyway.
    super({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  }

  override createConnection(): Duplex {
    return this.dialer.dial(this.peer, { kind: 'http', ...this.visitor });
  }
}

/**
 * Replays visitor HTTP requests to the relay holding their host, over the peer port, and
 * streams the answers back: the request head as the visitor sent it (that relay adds the
 * forwarded headers, with the visitor's address from the preamble), bodies piped both ways.
 */
export class PeerHttp {
  private readonly agents = new WeakMap<Socket, Map<string, PeerAgent>>();

  constructor(
    private readonly dialer: PeerDialer,
    /** no response head by then: 504 (the holder has its own, shorter, deadline) */
    private readonly headTimeoutMs: number,
  ) {}

  forward(
    req: IncomingMessage,
    res: ServerResponse,
    scheme: VisitorScheme,
    peer: PeerAddress,
    onFailure: (f: PeerFailure) => void,
  ): void {
    this.send(req, res, scheme, peer, onFailure, true);
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    scheme: VisitorScheme,
    peer: PeerAddress,
    onFailure: (f: PeerFailure) => void,
    mayRetry: boolean,
  ): void {
    const agent = this.agentFor(req.socket, peer, scheme);
    if (!agent) return void res.destroy();
    let out: ClientRequest;
    try {
      out = http.request({
        host: peer.host,
        port: peer.port,
        method: req.method,
        path: req.url,
        // As received, repeated fields and all; hop-by-hop ones mean the same to the next hop.
        headers: req.rawHeaders,
        setHost: false,
        agent,
      });
    } catch {
      return onFailure('failed');
    }
    const body = hasBody(req);
    let failed = false;
    const fail = (f: PeerFailure) => {
      if (failed) return;
      failed = true;
      req.unpipe(out);
      out.destroy();
      if (res.headersSent) res.destroy();
      else onFailure(f);
    };
    out.setTimeout(this.headTimeoutMs, () => fail('timeout'));
    out.on('error', (e) => {
      // The holder closed an idle connection as we reused it: a request without a body can
      // go again on a new one (https://nodejs.org/api/http.html#requestreusedsocket).
      if (mayRetry && !failed && !body && out.reusedSocket && isReset(e) && !res.headersSent) {
        failed = true;
        return this.send(req, res, scheme, peer, onFailure, false);
      }
      fail(isUnreachable(e) ? 'unreachable' : 'failed');
    });
    out.once('response', (answer) => {
      out.setTimeout(0);
      this.respond(res, answer);
    });
    res.once('close', () => {
      // The visitor left (or the answer is complete): nothing more to send either way.
      if (!res.writableFinished) out.destroy();
    });
    if (body) req.pipe(out);
    else {
      req.resume();
      out.end();
    }
  }

  private respond(res: ServerResponse, answer: IncomingMessage): void {
    if (res.writableEnded || res.destroyed) return void answer.destroy();
    try {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.rawHeaders));
    } catch {
      answer.destroy();
      return void res.destroy();
    }
    let bodyStarted = false;
    answer.once('data', () => (bodyStarted = true));
    answer.pipe(res, { end: false });
    answer.once('end', () => {
      try {
        if (answer.rawTrailers.length) res.addTrailers(pairs(answer.rawTrailers));
      } catch {
        // Trailers the visitor's framing cannot carry (a Content-Length answer) are dropped.
      }
      res.end();
    });
    answer.once('close', () => {
      // Cut before its end (the holder or its agent failed midway): so is the visitor's.
      if (!answer.complete) res.destroy();
    });
    // Streaming answers (SSE) reach the visitor before their first byte of body.
    process.nextTick(() => {
      if (!bodyStarted && !res.writableEnded && !res.destroyed) res.flushHeaders();
    });
  }

  private agentFor(visitor: Socket, peer: PeerAddress, proto: VisitorScheme): PeerAgent | undefined {
    const remoteAddress = visitor.remoteAddress;
    if (!remoteAddress || visitor.destroyed) return undefined;
    let byPeer = this.agents.get(visitor);
    if (!byPeer) {
      const own = new Map<string, PeerAgent>();
      byPeer = own;
      this.agents.set(visitor, own);
      visitor.once('close', () => {
        for (const a of own.values()) a.destroy();
        own.clear();
      });
    }
    const key = `${peer.relay}|${peer.host}|${peer.port}`;
    let agent = byPeer.get(key);
    if (!agent) {
      agent = new PeerAgent(this.dialer, peer, { proto, remoteAddress, remotePort: visitor.remotePort ?? 0 });
      byPeer.set(key, agent);
    }
    return agent;
  }
}

/** The holder's answer minus what described its connection to us (framing, keep-alive). */
function endToEnd(raw: readonly string[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i].toLowerCase() === 'connection') (named ??= new Set()).add(raw[i + 1]);
  const listed = named ? connectionTokens(named) : undefined;
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(name) || listed?.has(name)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  return out;
}

function isReset(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}
