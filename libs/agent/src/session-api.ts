import http from 'node:http';
import https from 'node:https';
import { AgentError, AgentErrorCode, AuthError, InvalidOptionsError } from './errors.js';
import { trustedCas, type CaOption } from './tls-trust.js';

export const AGENT_SESSIONS_PATH = '/api/v1/agent/sessions';

export interface RelayAssignment {
  name: string;
  host: string;
  port: number;
  region: string;
  /** the relay's agent listener speaks TLS */
  tls: boolean;
}

export interface AgentSessionGrant {
  token: string;
  expiresAt: Date;
  relay: RelayAssignment;
  /** who this agent runs as (older apis send nothing) */
  account?: { org: string; user: string };
}

export interface SessionRequest {
  apiUrl: string;
  authtoken: string;
  region?: string;
  ca?: CaOption;
  timeoutMs: number;
  userAgent: string;
}

const MAX_BODY = 256 * 1024;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Older apis do not say whether the relay speaks TLS: only a loopback relay is plain TCP. */
export function relayTlsDefault(host: string): boolean {
  return !LOCAL_HOSTS.has(host.toLowerCase());
}

/** Exchanges the authtoken for a short-lived session token and a relay assignment. */
export async function createAgentSession(req: SessionRequest): Promise<AgentSessionGrant> {
  let url: URL;
  try {
    url = new URL(req.apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new InvalidOptionsError(`invalid api URL "${req.apiUrl}": expected http(s)://host[:port]`);
  }
  // Keep a path prefix (an api behind a proxy at /fdt): `new URL(abs, base)` would drop it.
  url.pathname = url.pathname.replace(/\/+$/, '') + AGENT_SESSIONS_PATH;
  url.search = '';
  const body = JSON.stringify(req.region ? { region: req.region } : {});
  const { status, text } = await post(url, body, req);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  const detail = typeof json?.detail === 'string' ? json.detail : text.slice(0, 200) || `HTTP ${status}`;
  const code = typeof json?.code === 'string' ? json.code : undefined;
  if (status === 401 || code === AgentErrorCode.AuthFailed)
    throw new AuthError(`the api refused the authtoken: ${detail}`);
  if (status !== 201 && status !== 200) {
    // 429 and 5xx (no relay online, api restarting) are worth retrying; other 4xx are not.
    const retryable = status === 429 || status >= 500;
    throw new AgentError(
      AgentErrorCode.ApiError,
      `the api could not start an agent session: ${detail} (${code ?? `HTTP ${status}`})`,
      {
        retryable,
      },
    );
  }
  return parseGrant(json);
}

function parseGrant(json: Record<string, unknown> | undefined): AgentSessionGrant {
  const relay = json?.relay as Partial<RelayAssignment> | undefined;
  const expiresAt = new Date(String(json?.expiresAt));
  if (
    typeof json?.token !== 'string' ||
    !json.token ||
    Number.isNaN(expiresAt.getTime()) ||
    !relay ||
    typeof relay.host !== 'string' ||
    !relay.host ||
    typeof relay.port !== 'number' ||
    !Number.isInteger(relay.port)
  ) {
    throw new AgentError(
      AgentErrorCode.ApiError,
      'the api answered the session request with an unexpected body; is the api URL right?',
      {
        retryable: true,
      },
    );
  }
  return {
    token: json.token,
    expiresAt,
    relay: {
      name: typeof relay.name === 'string' ? relay.name : relay.host,
      host: relay.host,
      port: relay.port,
      region: typeof relay.region === 'string' ? relay.region : '',
      tls: typeof relay.tls === 'boolean' ? relay.tls : relayTlsDefault(relay.host),
    },
    ...accountOf(json.account),
  };
}

function accountOf(value: unknown): { account?: { org: string; user: string } } {
  const a = value as { org?: unknown; user?: unknown } | undefined;
  return typeof a?.org === 'string' && typeof a?.user === 'string' ? { account: { org: a.org, user: a.user } } : {};
}

function post(url: URL, body: string, req: SessionRequest): Promise<{ status: number; text: string }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = mod.request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${req.authtoken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json, application/problem+json',
          'user-agent': req.userAgent,
        },
        ...(url.protocol === 'https:' && req.ca ? { ca: trustedCas(req.ca) } : {}),
        timeout: req.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) r.destroy(new Error('response too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    // One deadline for the whole exchange (the socket timeout alone only bounds idleness).
    const deadline = setTimeout(
      () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      req.timeoutMs,
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    r.on('close', () => clearTimeout(deadline));
    r.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new AgentError(
          AgentErrorCode.ApiUnreachable,
          `cannot reach the api at ${url.origin}: ${err.code ?? err.message}`,
          {
            retryable: true,
            cause: err,
          },
        ),
      ),
    );
    r.end(body);
  });
}
