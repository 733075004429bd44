import http from 'node:http';
import https from 'node:https';
import { AgentError, AgentErrorCode, InvalidOptionsError } from '@fdt/agent';
import { ApiKeyError } from './errors.js';

// The few management routes the CLI calls with an API key (`fdt_ak_...`) or an access token:
// GET /api/v1/me, GET /api/v1/tunnels, POST/GET/DELETE /api/v1/authtokens.

/** The API key to use, or an ApiKeyError (exit 3) saying how to get one. */
export function requireApiKey(apiKey: string | undefined, what: string): string {
  if (!apiKey)
    throw new ApiKeyError(`${what} needs an API key (--api-key, FDT_API_KEY, or api_key in the config file)`);
  return apiKey;
}

export interface ApiOptions {
  apiUrl: string;
  apiKey: string;
  ca?: Buffer;
  timeoutMs?: number;
}

export async function apiCall<T>(o: ApiOptions, method: string, path: string, body?: object): Promise<T> {
  let url: URL;
  try {
    url = new URL(o.apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new InvalidOptionsError(`invalid api URL "${o.apiUrl}": expected http(s)://host[:port]`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${o.apiKey}`,
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
        ...(o.ca && url.protocol === 'https:' ? { ca: o.ca } : {}),
        timeout: o.timeoutMs ?? 10_000,
      },
      (res) => {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (t += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) =>
      reject(
        new AgentError(AgentErrorCode.ApiUnreachable, `cannot reach the api at ${o.apiUrl}: ${e.message}`, {
          retryable: true,
        }),
      ),
    );
    req.end(payload);
  });
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  const detail = typeof json?.detail === 'string' ? json.detail : text.slice(0, 200) || `HTTP ${status}`;
  if (status === 401) throw new ApiKeyError(`the api refused the API key: ${detail}`);
  if (status === 403)
    throw new AgentError(AgentErrorCode.ApiError, `not allowed: ${detail}`, { retryable: false });
  if (status < 200 || status > 299)
    throw new AgentError(
      AgentErrorCode.ApiError,
      `the api answered ${method} ${path} with ${status}: ${detail}`,
      {
        retryable: false,
      },
    );
  return json as T;
}
