import type { OutgoingHttpHeaders } from 'node:http2';
import { connectionTokens, HOP_BY_HOP_HEADERS } from '@fdt/protocol';

// Header translation between the relay's HTTP/2 streams and the local HTTP/1.1 service.

/** Fields Node's http2 accepts only once per message; a duplicate keeps the first value (as Node's http1 parser does). */
// prettier-ignore
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range',
  'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match',
  'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range',
  'referer', 'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/** Our own stream headers; never passed to the local service, never accepted from it. */
const isOurs = (name: string) => name.startsWith('fdt-');

const NONE: ReadonlySet<string> = new Set();

/** Field names a `Connection` header lists are hop-by-hop too (one pass, no copies when absent). */
function connectionFields(raw: readonly string[]): ReadonlySet<string> {
  let values: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (String(raw[i]).toLowerCase() === 'connection') (values ??= []).push(String(raw[i + 1]));
  return values ? connectionTokens(values) : NONE;
}

export interface LocalRequestHead {
  /** flat `[name, value, ...]`, the shape `http.request({ headers })` takes without reordering */
  headers: string[];
  host: string | undefined;
}

/**
 * The HTTP/1.1 request headers for the local service from an HTTP/2 stream's raw headers:
 * pseudo-headers and fdt-* dropped, Host from `:authority`, cookies joined into one field
 * (RFC 9113 §8.2.3), everything else (X-Forwarded-* included) in order and byte for byte.
 */
export function toLocalRequestHeaders(
  rawHeaders: readonly string[],
  opts: { hasBody: boolean; method: string; fallbackHost: string },
): LocalRequestHead {
  const drop = connectionFields(rawHeaders);
  let host: string | undefined;
  const cookies: string[] = [];
  const out: string[] = [];
  let hasLength = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]);
    const lower = name.toLowerCase();
    const value = String(rawHeaders[i + 1]);
    if (lower === ':authority') host = value;
    if (lower.startsWith(':') || isOurs(lower) || HOP_BY_HOP_HEADERS.has(lower) || drop.has(lower)) continue;
    if (lower === 'cookie') {
      cookies.push(value);
      continue;
    }
    if (lower === 'host') {
      // HTTP/2 clients may send Host instead of :authority; :authority wins if both.
      host ??= value;
      continue;
    }
    if (lower === 'content-length') hasLength = true;
    out.push(name, value);
  }
  // HTTP/1.1 requires Host; with neither :authority nor Host, name the target.
  const head = ['host', host ?? opts.fallbackHost];
  if (cookies.length) out.push('cookie', cookies.join('; '));
  // HTTP/2 frames the body itself; HTTP/1.1 needs a length or chunking, and Node picks
  // neither for GET/DELETE/OPTIONS bodies nor sends `content-length: 0` on an empty POST.
  if (!hasLength) {
    if (opts.hasBody) out.push('transfer-encoding', 'chunked');
    else if (['POST', 'PUT', 'PATCH'].includes(opts.method.toUpperCase())) out.push('content-length', '0');
  }
  return { headers: [...head, ...out], host };
}

/**
 * HTTP/2 response headers from a local HTTP/1.1 response's raw headers: names lowercased,
 * hop-by-hop and fdt-* fields dropped, repeated fields (Set-Cookie ...) kept as arrays in
 * order.
 */
export function toH2ResponseHeaders(status: number, rawHeaders: readonly string[]): OutgoingHttpHeaders {
  const drop = connectionFields(rawHeaders);
  const out: OutgoingHttpHeaders = { ':status': status };
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]).toLowerCase();
    const value = String(rawHeaders[i + 1]);
    if (!name || name.startsWith(':') || isOurs(name) || HOP_BY_HOP_HEADERS.has(name) || drop.has(name))
      continue;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (SINGLE_VALUE.has(name)) continue;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  return out;
}
