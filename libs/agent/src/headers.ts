import { connectionTokens, HOP_BY_HOP_HEADERS, type MuxHeaders } from '@fdt/protocol';

// Header translation between the relay's mux streams and the local HTTP/1.1 service. Both
// directions run once per request: one pass over the fields, names lowercased once.

/**
 * Fields a message carries at most once; a duplicate keeps the first value (as Node's http1
 * parser does), so the relay never sees two Content-Length or Content-Type values.
 */
// prettier-ignore
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range',
  'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match',
  'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range',
  'referer', 'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/** Methods whose empty body Node would send without any framing: they get `content-length: 0`. */
const LENGTH_ZERO_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** Our own stream headers; never passed to the local service, never accepted from it. */
const isOurs = (name: string) => name.startsWith('fdt-');

/** Field names a `Connection` header lists are hop-by-hop too. */
function connectionFields(raw: readonly string[]): ReadonlySet<string> {
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (String(raw[i]).toLowerCase() === 'connection') values.push(String(raw[i + 1]));
  return connectionTokens(values);
}

/**
 * Passed as the drop set on the first try: the request conversion gives up (returns
 * undefined) when it meets a Connection field, and runs again with the names that field
 * lists. The relay strips Connection, so the usual request is one pass.
 */
const BAIL_ON_CONNECTION: ReadonlySet<string> = new Set();

/** Connection values that name no header field. */
const NAMES_NO_FIELD: ReadonlySet<string> = new Set(['keep-alive', 'close']);

export interface LocalRequestHead {
  /** flat `[name, value, ...]`, the shape `http.request({ headers })` takes without reordering */
  headers: string[];
  host: string | undefined;
}

export interface LocalRequestOptions {
  hasBody: boolean;
  method: string;
  fallbackHost: string;
  /** the HTTP client chunks a body of unknown length itself (undici refuses the header) */
  clientChunks?: boolean;
}

/**
 * The HTTP/1.1 request headers for the local service from a stream's raw header block:
 * pseudo-headers and fdt-* dropped, Host from `:authority`, cookies joined into one field
 * (RFC 9113 §8.2.3), everything else (X-Forwarded-* included) in order and byte for byte.
 */
export function toLocalRequestHeaders(
  rawHeaders: readonly string[],
  opts: LocalRequestOptions,
): LocalRequestHead {
  return (
    localRequestHead(rawHeaders, opts, BAIL_ON_CONNECTION) ??
    (localRequestHead(rawHeaders, opts, connectionFields(rawHeaders)) as LocalRequestHead)
  );
}

function localRequestHead(
  rawHeaders: readonly string[],
  opts: LocalRequestOptions,
  drop: ReadonlySet<string>,
): LocalRequestHead | undefined {
  let host: string | undefined;
  let cookies: string[] | undefined;
  // Host comes first; its value is filled in at the end.
  const out: string[] = ['host', ''];
  let hasLength = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]);
    const lower = name.toLowerCase();
    const value = String(rawHeaders[i + 1]);
    if (lower === 'connection' && drop === BAIL_ON_CONNECTION) return undefined;
    if (lower === ':authority') host = value;
    if (lower.startsWith(':') || isOurs(lower) || HOP_BY_HOP_HEADERS.has(lower) || drop.has(lower)) continue;
    // The relay's HTTP server has answered `Expect: 100-continue` (the body is on its way), and
    // the local request is sent whole: the expectation is met, not forwarded (undici refuses it).
    if (lower === 'expect') continue;
    if (lower === 'cookie') {
      (cookies ??= []).push(value);
      continue;
    }
    if (lower === 'host') {
      // A client may send Host instead of :authority; :authority wins if both.
      host ??= value;
      continue;
    }
    if (lower === 'content-length') hasLength = true;
    out.push(name, value);
  }
  // HTTP/1.1 requires Host; with neither :authority nor Host, name the target.
  out[1] = host ?? opts.fallbackHost;
  if (cookies) out.push('cookie', cookies.join('; '));
  // The mux frames the body itself; HTTP/1.1 needs a length or chunking, and Node picks
  // neither for GET/DELETE/OPTIONS bodies nor sends `content-length: 0` on an empty POST.
  if (!hasLength) {
    if (opts.hasBody) {
      if (!opts.clientChunks) out.push('transfer-encoding', 'chunked');
    } else if (LENGTH_ZERO_METHODS.has(opts.method) || LENGTH_ZERO_METHODS.has(opts.method.toUpperCase()))
      out.push('content-length', '0');
  }
  return { headers: out, host };
}

/**
 * The response header block for the relay from a local HTTP/1.1 response's raw headers:
 * `:status`, names lowercased, hop-by-hop and fdt-* fields dropped (with those a Connection
 * header names), repeated fields (Set-Cookie ...) kept as arrays in order. The relay reads it
 * back as raw headers.
 */
export function toStreamResponseHeaders(status: number, rawHeaders: readonly string[]): MuxHeaders {
  const out: Record<string, string | number | string[]> = { ':status': status };
  // Local servers send `Connection: keep-alive` on most responses: it names no field, so the
  // fields are read in one pass and only a Connection value that names some costs a second.
  let connection: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]).toLowerCase();
    if (name === 'connection') {
      const v = String(rawHeaders[i + 1]);
      if (!NAMES_NO_FIELD.has(v.toLowerCase())) (connection ??= []).push(v);
      continue;
    }
    if (!name || name.startsWith(':') || isOurs(name) || HOP_BY_HOP_HEADERS.has(name)) continue;
    const value = String(rawHeaders[i + 1]);
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (SINGLE_VALUE.has(name)) continue;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  if (connection)
    for (const name of connectionTokens(connection))
      if (!name.startsWith(':') && Object.hasOwn(out, name)) delete out[name];
  return out;
}
