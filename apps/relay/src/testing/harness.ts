// Test support (excluded from the build): a relay on free ports with a fake api beside it.
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlatformConfig, type PlatformConfig } from '@fdt/server-core/edge';
import type { AgentSessionClaims } from '@fdt/protocol';
import { startRelay, type RunningRelay } from '../bootstrap.js';
import { EdgeModule } from '../edge.module.js';
import { PeerListener } from '../peering/peer-listener.js';
import { FakeApi } from './fake-api.js';
import { type AgentTunnel, TestAgent } from './test-agent.js';

export interface Edge {
  relay: RunningRelay;
  api: FakeApi;
  config: PlatformConfig;
  tlsDir: string;
  tcpPorts: { first: number; last: number };
  /** the peer port, when forwarding is on */
  peerPort?: number;
  /** an agent with a fresh token for `claims`, serving `tunnels` */
  agent(tunnels: AgentTunnel[], claims?: Partial<AgentSessionClaims>): Promise<TestAgent>;
  close(): Promise<void>;
}

/** One fake api for several relays (they share its relay secret, as a cluster's relays do). */
export interface SharedApi {
  api: FakeApi;
  secret: string;
}

export async function startSharedApi(): Promise<SharedApi> {
  const secret = randomBytes(24).toString('base64url');
  return { api: await new FakeApi(secret).start(), secret };
}

/**
 * `baseEnv` comes from @fdt/testing's testEnv in the spec (this file is not a spec and may
 * not import the harness lib); `env` overrides the relay's variables. With `shared`, the
 * relay uses that api (closed by its owner) instead of one of its own.
 */
export async function startEdge(
  baseEnv: Record<string, string | undefined>,
  env: Record<string, string> = {},
  shared?: SharedApi,
): Promise<Edge> {
  const secret = shared?.secret ?? randomBytes(24).toString('base64url');
  const api = shared?.api ?? (await new FakeApi(secret).start());
  const tlsDir = mkdtempSync(join(tmpdir(), 'fdt-relay-tls-'));
  // Below Linux's ephemeral range (32768-60999): a pool port there can be taken by any
  // outgoing connection of a busy machine, and the test would fail with EADDRINUSE.
  const first = 20000 + Math.floor(Math.random() * 12000);
  const tcpPorts = { first, last: first + 15 };
  const config = loadPlatformConfig({
    ...baseEnv,
    FDT_API_PUBLIC_URL: api.url,
    FDT_API_INTERNAL_URL: api.url,
    FDT_RELAY_SECRET: secret,
    FDT_RELAY_NAME: `edge-${randomBytes(3).toString('hex')}`,
    FDT_RELAY_ADMIN_PORT: '0',
    FDT_RELAY_AGENT_PORT: '0',
    FDT_RELAY_HTTP_PORT: '0',
    FDT_RELAY_HTTPS_PORT: '0',
    FDT_RELAY_PEER_PORT: '0',
    FDT_RELAY_TCP_PORTS: `${tcpPorts.first}-${tcpPorts.last}`,
    FDT_RELAY_AGENT_TLS: 'false',
    FDT_RELAY_TLS_DIR: tlsDir,
    FDT_PORTS_NAMESPACE: `relay_${randomBytes(4).toString('hex')}`,
    ...env,
  });
  const relay = await startRelay(config);
  const peerPort = config.relay.peering.enabled
    ? await relay.app.select(EdgeModule).get(PeerListener).whenListening()
    : undefined;
  return {
    relay,
    api,
    config,
    tlsDir,
    tcpPorts,
    peerPort,
    async agent(tunnels, claims = {}) {
      return TestAgent.connect({
        port: relay.ports.agent,
        token: await api.token(claims),
        tunnels,
        tlsCa: config.relay.agentTls ? relay.caPem : undefined,
      });
    },
    async close() {
      await relay.close();
      if (!shared) await api.close();
      rmSync(tlsDir, { recursive: true, force: true });
    },
  };
}

export interface VisitResult {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
}

/** A visitor's request to the relay's HTTP port, naming the tunnel's host in Host. */
export function visit(
  port: number,
  host: string,
  opts: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: Buffer | string;
    agent?: http.Agent;
  } = {},
): Promise<VisitResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: { host, ...opts.headers },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text: body.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error('visit timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** `http://app.localhost:1234` -> its host header value. */
export const hostOf = (url: string): string => new URL(url).host;
