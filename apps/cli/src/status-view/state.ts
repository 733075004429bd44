// The status view's model: a pure reducer over the agent's events (as Reporter receives them).

export type SessionStatus = 'connecting' | 'online' | 'reconnecting' | 'stopped';

export interface ForwardingLine {
  tunnel: string;
  url: string;
  addr: string;
}

export interface RequestLine {
  /** HH:MM:SS, local time */
  time: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

export interface StatusState {
  status: SessionStatus;
  /** account / org, when an event carries it */
  account?: string;
  region?: string;
  relay?: string;
  /** round trip to the relay (ms), when known */
  latencyMs?: number;
  forwarding: ForwardingLine[];
  /** the local inspector's URL, once it listens */
  inspector?: string;
  /** visitor connections: every HTTP request and raw (tcp/tls/websocket) connection */
  connections: { total: number; open?: number };
  /** newest first, at most MAX_REQUESTS */
  requests: RequestLine[];
  /** the last warning or reconnect reason */
  notice?: string;
}

export const MAX_REQUESTS = 10;

export function initialStatus(): StatusState {
  return { status: 'connecting', forwarding: [], connections: { total: 0 }, requests: [] };
}

type Data = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The state after `event`; never mutates `s`. Unknown events only pick up carried fields. */
export function applyEvent(s: StatusState, event: string, data: object, now: Date): StatusState {
  const d = data as Data;
  let next: StatusState = { ...s };
  // Fields any event may carry (none of today's agent events do, but the view is ready for them).
  const latency = num(d.rttMs) ?? num(d.latencyMs);
  if (latency !== undefined) next.latencyMs = latency;
  const account = accountOf(d);
  if (account) next.account = account;
  const open = num(d.openConnections);
  if (open !== undefined) next.connections = { ...next.connections, open };

  switch (event) {
    case 'session_started':
      next = {
        ...next,
        status: 'online',
        region: str(d.region) ?? next.region,
        relay: str(d.relay) ?? next.relay,
      };
      break;
    case 'tunnel_online': {
      const tunnel = String(d.tunnel ?? d.name ?? '');
      const urls = Array.isArray(d.urls) && d.urls.length ? d.urls.map(String) : [String(d.url)];
      const addr = String(d.addr ?? '');
      next = {
        ...next,
        status: next.status === 'connecting' ? 'online' : next.status,
        forwarding: [
          ...next.forwarding.filter((f) => !(tunnel && f.tunnel === tunnel)),
          ...urls.map((url) => ({ tunnel, url, addr })),
        ],
      };
      break;
    }
    case 'inspector_online':
      next = { ...next, inspector: str(d.url) ?? next.inspector };
      break;
    case 'reconnecting':
      next = {
        ...next,
        status: 'reconnecting',
        notice: `reconnecting (attempt ${String(d.attempt)}, in ${String(d.delayMs)} ms): ${String(d.reason)}`,
      };
      break;
    case 'reconnected':
      next = {
        ...next,
        status: 'online',
        relay: str(d.relay) ?? next.relay,
        notice: `reconnected after ${(Number(d.downtimeMs) / 1000).toFixed(1)} s`,
      };
      break;
    case 'request': {
      const line: RequestLine = {
        time: now.toTimeString().slice(0, 8),
        method: String(d.method ?? ''),
        path: String(d.path ?? ''),
        status: Number(d.status),
        durationMs: Number(d.durationMs),
      };
      next = {
        ...next,
        connections: { ...next.connections, total: next.connections.total + 1 },
        requests: [line, ...next.requests].slice(0, MAX_REQUESTS),
      };
      break;
    }
    case 'connection':
      next = { ...next, connections: { ...next.connections, total: next.connections.total + 1 } };
      break;
    case 'warning':
      next = { ...next, notice: `warning: ${String(d.message)}` };
      break;
    case 'stopped':
      next = { ...next, status: 'stopped' };
      break;
  }
  return next;
}

function accountOf(d: Data): string | undefined {
  const account = str(d.account);
  const org = str(d.org);
  if (account && org) return `${account} (org ${org})`;
  return account ?? (org ? `org ${org}` : undefined);
}
