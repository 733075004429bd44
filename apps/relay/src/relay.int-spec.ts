import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestClient, testEnv } from '@fdt/testing';
import { loadPlatformConfig } from '@fdt/server-core';
import { tunnelSetDigest } from '@fdt/protocol';
import { startRelay, type RunningRelay } from './bootstrap.js';

interface Received {
  method?: string;
  url?: string;
  authorization?: string;
  contentType?: string;
  body: unknown;
}

/** Stands in for the api's relays registry: records heartbeats, answers as the test says. */
class FakeApi {
  readonly received: Received[] = [];
  private readonly server: Server;
  private waiters: Array<() => void> = [];
  /** Answers, in order, for the next heartbeats; then 200 forever. */
  answers: Array<number | Promise<number>> = [];

  constructor() {
    this.server = createServer(async (req, res) => {
      // The relay also loads custom-domain certificates at start: none here, and not a heartbeat.
      if (req.url?.startsWith('/api/v1/relays/certificates')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"items":[]}');
      }
      this.received.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: JSON.parse(await text(req)),
      });
      for (const w of this.waiters.splice(0)) w();
      const status = await (this.answers.shift() ?? 200);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { id: 'relay-1', staleAfterSeconds: 30 } : { code: 'boom' }));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async heartbeats(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} heartbeats, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function text(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

function deferred(): { promise: Promise<number>; resolve: (status: number) => void } {
  let resolve!: (status: number) => void;
  const promise = new Promise<number>((r) => (resolve = r));
  return { promise, resolve };
}

const SECRET = 's'.repeat(40);

/** Every listener on a free port, certificates in a throwaway directory. */
function freshListeners(): Record<string, string> {
  return {
    FDT_RELAY_AGENT_PORT: '0',
    FDT_RELAY_HTTP_PORT: '0',
    FDT_RELAY_HTTPS_PORT: '0',
    FDT_RELAY_TLS_DIR: mkdtempSync(join(tmpdir(), 'fdt-relay-reg-')),
  };
}

describe('relay registration with the api', () => {
  const api = new FakeApi();
  let relay: RunningRelay | undefined;
  let client: TestClient;
  let releaseSecond: (status: number) => void;

  beforeAll(async () => {
    const apiUrl = await api.listen();
    const second = deferred();
    api.answers = [500, second.promise];
    relay = await startRelay(
      // The relay has no database; testEnv's URL is never dialled.
      loadPlatformConfig(
        testEnv('postgres://unused@127.0.0.1:1/unused', {
          FDT_RELAY_ADMIN_PORT: '0',
          FDT_API_INTERNAL_URL: apiUrl,
          FDT_RELAY_SECRET: SECRET,
          FDT_RELAY_NAME: 'edge-test',
          FDT_RELAY_REGION: 'eu-test',
          FDT_RELAY_PUBLIC_HOST: 'relay.example.test',
          FDT_RELAY_HEARTBEAT_SECONDS: '1',
          FDT_RELAY_CAPACITY: '50',
          ...freshListeners(),
        }),
      ),
    );
    client = new TestClient(relay.url);
    releaseSecond = second.resolve;
  });
  afterAll(async () => {
    await relay?.close();
    await api.close();
  });

  it('is live at once but not ready while the api refuses or has not yet answered', async () => {
    expect(await client.get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    await api.heartbeats(2); // the first got a 500; the retry is being held by the fake api
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error).toEqual({ api_registration: { status: 'down', message: 'api answered 500' } });
  });

  it('posts its identity and the ports it bound, with the relay secret as a bearer', () => {
    expect(relay?.ports.agent).toBeGreaterThan(0);
    expect(relay?.ports.http).toBeGreaterThan(0);
    expect(relay?.ports.https).toBeGreaterThan(0);
    for (const hb of api.received) {
      expect(hb).toEqual({
        method: 'POST',
        url: '/api/v1/relays/heartbeat',
        authorization: `Bearer ${SECRET}`,
        contentType: 'application/json',
        body: {
          name: 'edge-test',
          region: 'eu-test',
          publicHost: 'relay.example.test',
          agentPort: relay?.ports.agent,
          agentTls: true,
          httpPort: relay?.ports.http,
          httpsPort: relay?.ports.https,
          capacity: 50,
          load: 0,
          tunnels: { bootId: expect.any(String), seq: 0, count: 0, digest: tunnelSetDigest([]) },
        },
      });
    }
  });

  it('becomes ready once the api acknowledges a heartbeat, and keeps beating', async () => {
    releaseSecond(200);
    const deadline = Date.now() + 3000;
    let ready = await client.get('/readyz');
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await client.get('/readyz');
    }
    expect(ready.status).toBe(200);
    expect(ready.body.info).toEqual({
      api_registration: { status: 'up', relayId: 'relay-1' },
      certificates: { status: 'up' },
    });
    await api.heartbeats(3, 3000); // the next one, heartbeatSeconds later
  });

  it('stops heartbeating when it shuts down', async () => {
    await relay?.close();
    relay = undefined;
    const count = api.received.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(api.received.length).toBe(count);
  });
});

describe('relay with the api unreachable', () => {
  let relay: RunningRelay | undefined;

  afterAll(async () => {
    await relay?.close();
  });

  it('keeps running and says why it is not ready', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    relay = await startRelay(
      loadPlatformConfig(
        testEnv('postgres://unused@127.0.0.1:1/unused', {
          FDT_RELAY_ADMIN_PORT: '0',
          FDT_API_INTERNAL_URL: `http://127.0.0.1:${port}`,
          ...freshListeners(),
        }),
      ),
    );
    const client = new TestClient(relay.url);
    let ready = await client.get('/readyz');
    const deadline = Date.now() + 3000;
    while (ready.body.error?.api_registration?.message === 'not registered yet' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await client.get('/readyz');
    }
    expect(ready.status).toBe(503);
    expect(ready.body.error.api_registration.message).toBe('api unreachable: fetch failed (ECONNREFUSED)');
    expect((await client.get('/healthz')).status).toBe(200);
  });
});
