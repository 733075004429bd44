import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The `Fdt-Error-Code` values visitors may see; docs/errors.md explains each. */
export const VisitorErrorCode = {
  BadRequest: 'bad_request',
  HeadersTooLarge: 'headers_too_large',
  TunnelNotFound: 'tunnel_not_found',
  AgentOffline: 'agent_offline',
  BasicAuthRequired: 'basic_auth_required',
  IpDenied: 'ip_denied',
  TooManyConnections: 'too_many_connections',
  LocalUnreachable: 'local_service_unreachable',
  LocalTimeout: 'local_service_timeout',
  TunnelError: 'tunnel_error',
  MethodNotAllowed: 'method_not_allowed',
  RequestTimeout: 'request_timeout',
  TooManyFromAddress: 'too_many_connections_from_address',
  EdgeBusy: 'edge_busy',
  BandwidthLimit: 'bandwidth_limit',
} as const;
export type VisitorErrorCode = (typeof VisitorErrorCode)[keyof typeof VisitorErrorCode];

const CATALOGUE: Record<
  VisitorErrorCode,
  { status: number; title: string; detail: (host: string) => string }
> = {
  bad_request: {
    status: 400,
    title: 'Bad request',
    detail: () => 'The request could not be understood: check the Host header and the request line.',
  },
  headers_too_large: {
    status: 431,
    title: 'Request headers too large',
    detail: () =>
      'The request headers exceed what this edge accepts; send fewer or smaller headers (cookies, mostly).',
  },
  tunnel_not_found: {
    status: 404,
    title: 'Tunnel not found',
    detail: (h) => `No tunnel is serving ${h}. Check the address, or start one with \`fdt tunnel start\`.`,
  },
  agent_offline: {
    status: 503,
    title: 'Tunnel offline',
    detail: (h) => `The agent serving ${h} is not connected right now. Try again once its owner restarts it.`,
  },
  basic_auth_required: {
    status: 401,
    title: 'Authentication required',
    detail: (h) => `${h} is protected: give the user name and password its owner shared with you.`,
  },
  ip_denied: {
    status: 403,
    title: 'Forbidden',
    detail: (h) => `${h} does not accept visitors from your address.`,
  },
  too_many_connections: {
    status: 429,
    title: 'Too many connections',
    detail: (h) => `${h} is serving as many connections as its owner allows. Try again shortly.`,
  },
  local_service_unreachable: {
    status: 502,
    title: 'Local service unreachable',
    detail: (h) =>
      `The agent for ${h} is online, but the service it forwards to refused the connection. Its owner should check that the local service is running.`,
  },
  local_service_timeout: {
    status: 504,
    title: 'Local service timed out',
    detail: (h) => `The service behind ${h} did not answer in time.`,
  },
  tunnel_error: {
    status: 502,
    title: 'Tunnel error',
    detail: (h) => `The connection to the agent for ${h} failed while serving this request. Try again.`,
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    detail: () => 'CONNECT is not served through tunnels.',
  },
  request_timeout: {
    status: 408,
    title: 'Request timeout',
    detail: () => 'The request head did not arrive in time. Send the whole request at once and try again.',
  },
  too_many_connections_from_address: {
    status: 429,
    title: 'Too many connections',
    detail: () =>
      'Your address has as many connections open to this edge as it allows. Close some and try again.',
  },
  edge_busy: {
    status: 503,
    title: 'Edge busy',
    detail: () => 'This edge is serving as many connections as it can. Try again shortly.',
  },
  // 402, not 429: retrying does not help (the month's quota is used up until the owner
  // upgrades or the month ends), and 429 invites clients to retry after Retry-After; 509 is
  // not a registered status.
  bandwidth_limit: {
    status: 402,
    title: 'Bandwidth limit reached',
    detail: (h) =>
      `The owner of ${h} has used this month's bandwidth of their plan. It serves again once they upgrade the plan or the month ends.`,
  },
};

export interface VisitorError {
  code: VisitorErrorCode;
  status: number;
  title: string;
  detail: string;
}

export function visitorError(code: VisitorErrorCode, host = 'this address'): VisitorError {
  const c = CATALOGUE[code];
  return { code, status: c.status, title: c.title, detail: c.detail(host) };
}

export const statusOf = (code: VisitorErrorCode): number => CATALOGUE[code].status;

/** Browsers (Accept: text/html) get a page; API clients get RFC 9457 problem+json. */
export function renderVisitorError(
  e: VisitorError,
  accept: string | undefined,
): { type: string; body: string } {
  if (prefersHtml(accept)) {
    const t = escapeHtml(e.title);
    const body =
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e.status} ${t}</title>` +
      `<meta name="viewport" content="width=device-width"><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{color:#555}</style></head>` +
      `<body><h1>${t}</h1><p>${escapeHtml(e.detail)}</p><p><code>${e.status} · ${e.code}</code></p></body></html>\n`;
    return { type: 'text/html; charset=utf-8', body };
  }
  const problem = {
    type: `https://fdt.dev/errors/${e.code}`,
    title: e.title,
    status: e.status,
    detail: e.detail,
    code: e.code,
  };
  return { type: 'application/problem+json', body: JSON.stringify(problem) };
}

export function sendVisitorError(
  res: ServerResponse,
  e: VisitorError,
  accept: string | undefined,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { type, body } = renderVisitorError(e, accept);
  res.writeHead(e.status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'fdt-error-code': e.code,
    ...extra,
  });
  res.end(body);
}

/** The same answer written as raw HTTP/1.1 on a socket (Upgrade requests, parse errors). */
export function writeVisitorError(
  socket: Duplex,
  e: VisitorError,
  accept: string | undefined,
  extra: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { type, body } = renderVisitorError(e, accept);
  const headers = {
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'Fdt-Error-Code': e.code,
    Connection: 'close',
    ...extra,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  // Destroyed once written: a visitor that never closes must not hold the socket.
  socket.end(`HTTP/1.1 ${e.status} ${e.title}\r\n${head}\r\n${body}`, () => socket.destroy());
}

function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const a = accept.toLowerCase();
  return a.includes('text/html') || a.includes('application/xhtml+xml');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
