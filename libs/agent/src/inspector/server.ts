import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { HOP_BY_HOP_HEADERS } from '@fdt/protocol';
import { InvalidOptionsError } from '../errors.js';
import type { LocalTarget } from '../target.js';
import { INSPECTOR_PAGE } from './page.js';
import { summary, type Exchange, type ExchangeRecorder, type HeaderMap } from './recorder.js';

export const DEFAULT_INSPECT_ADDR = '127.0.0.1:4040';
/** ports tried after the asked one when it is taken (4040 → 4041..4049) */
export const INSPECT_PORT_TRIES = 9;
const MAX_REPLAY_JSON = 16 * 1024 * 1024;

const LOOPBACK = (host: string) =>
  host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** `host:port` (or a port) → where the inspector listens; loopback only. */
export function parseInspectAddr(addr: string | number): { host: string; port: number } {
  const s = String(addr).trim();
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
  const host = (m?.[1] || m?.[2] || '127.0.0.1').toLowerCase();
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidOptionsError(`"${s}" is not host:port (e.g. 127.0.0.1:4040)`);
  if (!LOOPBACK(host))
    throw new InvalidOptionsError(
      `"${host}" is not a loopback address: the inspector listens on 127.0.0.1 only`,
    );
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

export interface InspectorServerOptions {
  recorder: ExchangeRecorder;
  /** the local target of a tunnel, for replays */
  target(tunnel: string): LocalTarget | undefined;
  localTimeoutMs: number;
  verifyLocalTls: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ReplayEdits {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[] | null>;
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

/**
 * Any web page the developer opens can send a POST to 127.0.0.1 (a `text/plain` body needs no
 * CORS preflight) and have it replayed against their local service. Browsers say where such a
 * request comes from: refuse what they mark as another site. Clients that are not browsers
 * (curl, scripts, the CLI) send neither header and are served.
 */
function assertSameOrigin(req: http.IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin?.toLowerCase();
  const self = `http://${(req.headers.host ?? '').toLowerCase()}`;
  if (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && origin !== self)
  )
    throw new HttpError(
      403,
      'cross_origin',
      `the inspector takes changes only from its own page (${self}), not from ${origin ?? `a ${String(site)} page`}`,
    );
}

function parseEdits(text: string): ReplayEdits {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_json', 'the body is not JSON');
  }
  const bad = (m: string) => new HttpError(400, 'bad_request', m);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('expected a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['method', 'path', 'headers', 'body', 'bodyEncoding'].includes(k)) throw bad(`unknown field "${k}"`);
  if (
    o.method !== undefined &&
    (typeof o.method !== 'string' || !/^[A-Za-z!#$%&'*+.^_`|~-]+$/.test(o.method))
  )
    throw bad('method: expected an HTTP method');
  if (o.path !== undefined && (typeof o.path !== 'string' || !o.path.startsWith('/') || /[\s]/.test(o.path)))
    throw bad('path: expected a path starting with /');
  if (o.body !== undefined && typeof o.body !== 'string') throw bad('body: expected a string');
  if (o.bodyEncoding !== undefined && o.bodyEncoding !== 'utf8' && o.bodyEncoding !== 'base64')
    throw bad('bodyEncoding: expected utf8 or base64');
  if (o.headers !== undefined) {
    if (typeof o.headers !== 'object' || o.headers === null || Array.isArray(o.headers))
      throw bad('headers: expected an object');
    for (const [k, h] of Object.entries(o.headers)) {
      const ok =
        h === null || typeof h === 'string' || (Array.isArray(h) && h.every((x) => typeof x === 'string'));
      if (!ok || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k))
        throw bad(`headers.${k}: expected a string, an array of strings, or null`);
    }
  }
  return o as ReplayEdits;
}

/** The inspector's HTTP server: the page, the JSON api, live updates and replays. */
export class InspectorServer {
  private server: http.Server | undefined;
  private readonly sse = new Set<http.ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly onExchange = (e: Exchange) => {
    const line = `event: request\ndata: ${JSON.stringify(summary(e))}\n\n`;
    for (const res of this.sse) res.write(line);
  };
  private _url: string | undefined;

  constructor(private readonly o: InspectorServerOptions) {}

  get url(): string | undefined {
    return this._url;
  }

  /** Listens on `addr`, else on the next free of the following ports; resolves to the URL. */
  async listen(addr: string | number = DEFAULT_INSPECT_ADDR, tries = INSPECT_PORT_TRIES): Promise<string> {
    const { host, port } = parseInspectAddr(addr);
    let lastErr: unknown;
    for (let i = 0; i <= (port === 0 ? 0 : tries) && port + i <= 65535; i++) {
      const server = http.createServer((req, res) => void this.handle(req, res));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port + i, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        lastErr = e;
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        break;
      }
      server.on('error', () => undefined);
      this.server = server;
      const a = server.address() as net.AddressInfo;
      this._url = `http://${net.isIPv6(a.address) ? `[${a.address}]` : a.address}:${a.port}`;
      this.heartbeat = setInterval(() => {
        for (const res of this.sse) res.write(': ping\n\n');
      }, 15_000);
      this.heartbeat.unref();
      return this._url;
    }
    const err = lastErr as NodeJS.ErrnoException | undefined;
    throw new Error(
      `cannot listen on ${host}:${port}${port ? `..${Math.min(65535, port + tries)}` : ''} (${err?.code ?? err?.message ?? 'unknown'})`,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.o.recorder.off('exchange', this.onExchange);
    for (const res of this.sse) res.end();
    this.sse.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      // DNS rebinding: only our own host names.
      const host = (req.headers.host ?? '')
        .replace(/:\d+$/, '')
        .replace(/^\[|\]$/g, '')
        .toLowerCase();
      if (!LOOPBACK(host))
        throw new HttpError(403, 'forbidden_host', 'the inspector answers on 127.0.0.1 only');
      const url = new URL(req.url ?? '/', 'http://inspector');
      const parts = url.pathname.split('/').filter(Boolean);
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') assertSameOrigin(req);
      if (url.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        });
        return void res.end(method === 'HEAD' ? undefined : INSPECTOR_PAGE);
      }
      if (parts[0] !== 'api' || parts[1] !== 'requests')
        throw new HttpError(404, 'not_found', 'no such route');
      if (parts.length === 2 && method === 'GET')
        return this.json(res, 200, { items: this.o.recorder.summaries() });
      if (parts.length === 3 && parts[2] === 'stream' && method === 'GET') return this.stream(req, res);
      if (parts.length === 3 && method === 'GET') return this.json(res, 200, this.find(parts[2]));
      if (parts.length === 4 && parts[3] === 'replay' && method === 'POST') {
        const original = this.find(parts[2]);
        const edits = parseEdits(await readBody(req, MAX_REPLAY_JSON));
        const id = await this.replay(original, edits);
        return this.json(res, 201, { id });
      }
      throw new HttpError(
        parts.length <= 4 ? 405 : 404,
        parts.length <= 4 ? 'method_not_allowed' : 'not_found',
        'no such route',
      );
    } catch (e) {
      if (res.headersSent) return void res.destroy();
      if (e instanceof HttpError) return this.json(res, e.status, { error: e.code, message: e.message });
      this.json(res, 500, { error: 'internal', message: (e as Error).message });
    }
  }

  private find(id: string): Exchange {
    const e = this.o.recorder.get(decodeURIComponent(id));
    if (!e) throw new HttpError(404, 'not_found', `no recorded request "${id}"`);
    return e;
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    // The recorder builds an exchange's full shape only while someone listens: subscribe
    // with the first live page, leave with the last (an agent nobody watches pays nothing).
    if (this.sse.size === 0) this.o.recorder.on('exchange', this.onExchange);
    this.sse.add(res);
    req.socket.setNoDelay(true);
    res.on('close', () => {
      if (this.sse.delete(res) && this.sse.size === 0) this.o.recorder.off('exchange', this.onExchange);
    });
  }

  /** Sends the (edited) recorded request to the local service again; records it; resolves to its id. */
  private replay(original: Exchange, edits: ReplayEdits): Promise<string> {
    const target = this.o.target(original.tunnel);
    if (!target)
      throw new HttpError(409, 'tunnel_gone', `the tunnel "${original.tunnel}" is not served any more`);
    let body: Buffer;
    if (edits.body !== undefined) body = Buffer.from(edits.body, edits.bodyEncoding ?? 'utf8');
    else {
      const b = original.request.body;
      if (b.truncated)
        throw new HttpError(
          409,
          'body_truncated',
          `only ${Buffer.byteLength(b.data, b.encoding)} of the ${b.size} body bytes were recorded: pass "body" to replay`,
        );
      body = Buffer.from(b.data, b.encoding);
    }
    const method = (edits.method ?? original.method).toUpperCase();
    const path = edits.path ?? original.path;
    const headers: HeaderMap = { ...original.request.headers };
    for (const [k, v] of Object.entries(edits.headers ?? {})) {
      const name = k.toLowerCase();
      if (v === null) delete headers[name];
      else headers[name] = v;
    }
    const raw: string[] = [];
    for (const [name, v] of Object.entries(headers)) {
      if (HOP_BY_HOP_HEADERS.has(name) || name === 'content-length' || name.startsWith('fdt-')) continue;
      for (const value of Array.isArray(v) ? v : [v]) raw.push(name, value);
    }
    if (!('host' in headers)) raw.unshift('host', `${target.host}:${target.port}`);
    if (body.length || ['POST', 'PUT', 'PATCH'].includes(method))
      raw.push('content-length', String(body.length));

    const secure = target.protocol === 'https:';
    const started = performance.now();
    const tap = this.o.recorder.begin(original.tunnel, method, path, original.id);
    return new Promise((resolve, reject) => {
      let req: http.ClientRequest;
      try {
        req = (secure ? https : http).request({
          host: target.host,
          port: target.port,
          method,
          path,
          headers: raw,
          agent: false,
          timeout: this.o.localTimeoutMs,
          ...(secure
            ? {
                servername: net.isIP(target.host) ? undefined : target.host,
                rejectUnauthorized: this.o.verifyLocalTls,
              }
            : {}),
        });
      } catch (e) {
        return reject(new HttpError(400, 'bad_request', `cannot send this request: ${(e as Error).message}`));
      }
      tap.request(raw);
      if (body.length) tap.requestChunk(body);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          new HttpError(
            502,
            'local_unreachable',
            `the local service did not answer: ${err.code ?? err.message}`,
          ),
        ),
      );
      req.on('response', (r) => {
        const status = r.statusCode ?? 0;
        tap.response(status, r.rawHeaders);
        r.on('data', (c: Buffer) => tap.responseChunk(c));
        r.on('error', () => undefined);
        r.on('close', () => {
          resolve(tap.done(status, Math.round(performance.now() - started)) ?? '');
        });
      });
      req.end(body);
    });
  }
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new HttpError(413, 'too_large', 'the replay body is too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
