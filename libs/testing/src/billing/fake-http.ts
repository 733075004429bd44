import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// What the three payment fakes share: a loopback HTTP server, bodies, ids, an idempotency
// store and webhook delivery. Each provider's shapes live in its own file.

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: string;
}

export type FakeHandler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

export interface StartedFake {
  url: string;
  server: Server;
  /** "METHOD path" of each request, for asserting what a client sent */
  requests: string[];
  stop(): Promise<void>;
}

export async function startFakeServer(handler: FakeHandler): Promise<StartedFake> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push(`${req.method} ${url.pathname}`);
      try {
        await handler(
          {
            method: req.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            raw,
          },
          res,
        );
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: { message: (err as Error).message } });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A provider-style id: prefix + random alphanumerics. */
export function fakeId(prefix: string, length = 14): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return prefix + s;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Idempotency as the providers document it: the first request under a key stores its
 * response; the same key with the same request replays it (no second object); the same key
 * with a different request is an error the provider file shapes.
 */
export class IdempotencyStore {
  private readonly seen = new Map<string, { fingerprint: string; status: number; body: unknown }>();

  /** undefined: a new key (run the request, then `remember`); else what to answer. */
  lookup(key: string, fingerprint: string): { status: number; body: unknown; conflict: boolean } | undefined {
    const hit = this.seen.get(key);
    if (!hit) return undefined;
    return { status: hit.status, body: hit.body, conflict: hit.fingerprint !== fingerprint };
  }

  remember(key: string, fingerprint: string, status: number, body: unknown): void {
    this.seen.set(key, { fingerprint, status, body: structuredClone(body) });
  }
}

export const fingerprint = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\n')).digest('hex');

/** POSTs a signed webhook the way a provider does; returns the receiver's answer. */
export async function postWebhook(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: await res.text() };
}

export interface SignedWebhook {
  /** the exact bytes the provider sends (and signs) */
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * A stand-in for our webhook route in provider tests: hands the raw body and headers to
 * `verify`, answers 200 when it resolves and 400 with the rejection's reason when it throws.
 */
export async function startWebhookReceiver<T>(
  verify: (rawBody: Buffer, headers: IncomingMessage['headers']) => Promise<T>,
): Promise<{ url: string; received: T[]; stop(): Promise<void> }> {
  const received: T[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      verify(Buffer.concat(chunks), req.headers).then(
        (event) => {
          received.push(event);
          res.writeHead(200).end();
        },
        (err: { reason?: string; message?: string }) => res.writeHead(400).end(err.reason ?? err.message),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
