import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import {
  connectionTokens,
  HOP_BY_HOP_HEADERS,
  type MuxHeaders,
  StreamHeader,
  type StreamKind,
} from '@fdt/protocol';

/** The field names a visitor's Connection header lists (hop-by-hop too). */
const connectionFields = (connection: string | string[] | undefined): Set<string> =>
  connectionTokens(Array.isArray(connection) ? connection : connection ? [connection] : []);

export interface ForwardContext {
  /** the scheme the visitor used */
  proto: 'http' | 'https';
  /** the visitor's address, normalised */
  remoteIp: string;
  /**
   * the connection's peer when it is not the visitor (a trusted proxy, the visitor taken from
   * its X-Forwarded-For): the hop this relay appends to the forwarded headers
   */
  peerIp?: string;
  remotePort: number;
  tunnelId: string;
  requestId: string;
  kind: StreamKind;
  /** the edge consumed Authorization (edge basic auth): do not pass it on */
  dropAuthorization: boolean;
}

/** `1.2.3.4:5678` / `[2001:db8::1]:5678` */
export function remoteAddr(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** X-Forwarded-For/Proto/Host and Forwarded (RFC 7239), appended to what came in. */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  ctx: Pick<ForwardContext, 'proto' | 'remoteIp' | 'peerIp'>,
): Record<string, string> {
  const host = incoming.host ?? '';
  const peer = ctx.peerIp ?? ctx.remoteIp;
  const node = isIP(peer) === 6 ? `"[${peer}]"` : peer || 'unknown';
  const element = `for=${node};host=${quoteIfNeeded(host)};proto=${ctx.proto}`;
  const xff = incoming['x-forwarded-for'];
  const fwd = incoming.forwarded;
  return {
    'x-forwarded-for': xff ? `${xff}, ${peer}` : peer,
    'x-forwarded-proto': ctx.proto,
    'x-forwarded-host': host,
    forwarded: fwd ? `${fwd}, ${element}` : element,
  };
}

function quoteIfNeeded(v: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/** The path as the origin should see it (absolute-form requests become origin-form). */
export function originPath(url: string | undefined): string {
  if (!url) return '/';
  if (/^https?:\/\//i.test(url)) {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  }
  return url;
}

/**
 * The request header block of an `http` stream: pseudo-headers, the visitor's end-to-end
 * headers (each repeated field kept as sent), forwarded headers, and our stream headers.
 * One pass over rawHeaders: this runs for every request.
 */
export function agentRequestHeaders(req: IncomingMessage, ctx: ForwardContext): MuxHeaders {
  const incoming = req.headers;
  const out: Record<string, string | string[]> = {
    ':method': req.method ?? 'GET',
    ':path': originPath(req.url),
    ':authority': incoming.host ?? '',
  };
  const named = incoming.connection === undefined ? undefined : connectionFields(incoming.connection);
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === 'te') {
      if (/(^|,)\s*trailers\s*(,|$)/i.test(value)) out.te = 'trailers';
      continue;
    }
    if (skipRequestHeader(name, named, ctx)) continue;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (typeof prev === 'string') out[name] = [prev, value];
    else prev.push(value);
  }
  const fwd = forwardedHeaders(incoming, ctx);
  out['x-forwarded-for'] = fwd['x-forwarded-for'];
  out['x-forwarded-proto'] = fwd['x-forwarded-proto'];
  out['x-forwarded-host'] = fwd['x-forwarded-host'];
  out.forwarded = fwd.forwarded;
  out[StreamHeader.Tunnel] = ctx.tunnelId;
  out[StreamHeader.Kind] = ctx.kind;
  out[StreamHeader.RemoteAddr] = remoteAddr(ctx.remoteIp, ctx.remotePort);
  out[StreamHeader.RequestId] = ctx.requestId;
  return out;
}

export function streamHeaders(
  ctx: Pick<ForwardContext, 'tunnelId' | 'kind' | 'remoteIp' | 'remotePort' | 'requestId'>,
): Record<string, string> {
  return {
    [StreamHeader.Tunnel]: ctx.tunnelId,
    [StreamHeader.Kind]: ctx.kind,
    [StreamHeader.RemoteAddr]: remoteAddr(ctx.remoteIp, ctx.remotePort),
    [StreamHeader.RequestId]: ctx.requestId,
  };
}

function skipRequestHeader(name: string, named: Set<string> | undefined, ctx: ForwardContext): boolean {
  if (HOP_BY_HOP_HEADERS.has(name) || named?.has(name) || name === 'host') return true;
  // Visitors must not forge our stream headers, nor the forwarded ones we set below.
  if (name.startsWith('fdt-') || name === 'x-forwarded-for' || name === 'x-forwarded-proto') return true;
  if (name === 'x-forwarded-host' || name === 'forwarded') return true;
  return ctx.dropAuthorization && name === 'authorization';
}

/**
 * The visitor's HTTP/1.1 request head for an `upgrade` stream, exactly as the local service
 * must read it: the original request line and header fields (Connection and Upgrade kept,
 * since the upgrade is the point), our forwarded headers in place of any sent.
 */
export function upgradeRequestHead(req: IncomingMessage, ctx: ForwardContext): Buffer {
  const lines = [`${req.method} ${originPath(req.url)} HTTP/1.1`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.startsWith('fdt-') || name === 'x-forwarded-for' || name === 'x-forwarded-proto') continue;
    if (
      name === 'x-forwarded-host' ||
      name === 'forwarded' ||
      name === 'proxy-connection' ||
      name === 'keep-alive'
    )
      continue;
    if (ctx.dropAuthorization && name === 'authorization') continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  const fwd = forwardedHeaders(req.headers, ctx);
  lines.push(`X-Forwarded-For: ${fwd['x-forwarded-for']}`);
  lines.push(`X-Forwarded-Proto: ${fwd['x-forwarded-proto']}`);
  lines.push(`X-Forwarded-Host: ${fwd['x-forwarded-host']}`);
  lines.push(`Forwarded: ${fwd.forwarded}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/**
 * The agent's response header list as HTTP/1.1 fields for the visitor, flat
 * `[name, value, ...]` so repeated fields (Set-Cookie) stay separate, minus pseudo-headers,
 * connection-specific fields and our own.
 */
export function visitorResponseHeaders(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (name.startsWith(':') || HOP_BY_HOP_HEADERS.has(name) || name.startsWith('fdt-')) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}
