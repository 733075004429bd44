// Test support (excluded from the build): the api as the relay sees it, over real HTTP.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import {
  AGENT_SESSION_AUDIENCE,
  AGENT_SESSION_TYPE,
  type AgentSessionClaims,
  type EdgeLimits,
  type EdgePolicy,
  type RelayCertificate,
  type RelayHeartbeat,
  type TunnelSetEntry,
  type TunnelSetHeader,
  type TunnelStatusEvent,
  type TunnelStatusReport,
  type UsageReport,
} from '@fdt/protocol';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body: unknown;
}

/** JWKS, heartbeat, tunnel reports, name and policy lookups, as the api serves them to relays. */
export class FakeApi {
  readonly requests: Recorded[] = [];
  readonly reports: TunnelStatusReport[] = [];
  /** name -> orgId */
  readonly reservations = new Map<string, string>();
  /** `${orgId}/${name}` -> the policy with basic-auth verifiers the api serves to relays */
  readonly policies = new Map<string, EdgePolicy>();
  /** answer policy lookups with this status (200: from `policies`) */
  policiesStatus = 200;
  /** what GET /api/v1/relays/certificates serves (the api's custom-domain certificates) */
  certificates: RelayCertificate[] = [];
  /** answer the tunnels route with this status (then 204 again once reset) */
  tunnelsStatus = 204;
  /** full tunnel sets the relay sent (NDJSON, parsed) */
  readonly tunnelSets: { contentType?: string; header: TunnelSetHeader; entries: TunnelSetEntry[] }[] = [];
  /** answer the next heartbeat with `resync: true` (asks the relay for its full set) */
  resyncNext = false;
  /** orgId -> what GET /api/v1/relays/orgs/:orgId/edge-limits answers (404 when absent) */
  readonly edgeLimits = new Map<string, EdgeLimits>();
  /** usage reports the relay sent */
  readonly usageReports: UsageReport[] = [];
  /** answer usage reports with this status (204: recorded) */
  usageStatus = 204;
  jwksFetches = 0;
  url = '';
  private readonly server: Server;
  private keys: { kid: string; privateKey: SigningKey; jwk: JWK }[] = [];

  constructor(private readonly secret: string) {
    this.server = createServer(async (req, res) => {
      const body = await readJson(req);
      const url = req.url ?? '/';
      this.requests.push({ method: req.method ?? '', url, authorization: req.headers.authorization, body });
      const json = (status: number, value?: unknown) => {
        res.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
        res.end(value === undefined ? undefined : JSON.stringify(value));
      };
      if (url === '/api/v1/.well-known/jwks.json') {
        this.jwksFetches += 1;
        return json(200, { keys: this.keys.map((k) => k.jwk) });
      }
      if (req.headers.authorization !== `Bearer ${this.secret}`)
        return json(401, { code: 'relay_auth_failed' });
      if (url === '/api/v1/relays/heartbeat') {
        const resync = this.resyncNext;
        this.resyncNext = false;
        return json(200, { id: 'relay-1', staleAfterSeconds: 30, ...(resync ? { resync } : {}) });
      }
      if (url === '/api/v1/relays/tunnel-set' && req.method === 'POST') {
        // A set of one line parses as plain JSON above.
        const [header, ...entries] = (typeof body === 'string' ? body : JSON.stringify(body))
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as unknown);
        this.tunnelSets.push({
          contentType: req.headers['content-type'],
          header: header as TunnelSetHeader,
          entries: entries as TunnelSetEntry[],
        });
        return json(204);
      }
      if (url.startsWith('/api/v1/relays/certificates') && req.method === 'GET') {
        const host = new URL(url, 'http://x').searchParams.get('hostname');
        return json(200, { items: this.certificates.filter((c) => !host || c.hostname === host) });
      }
      if (url === '/api/v1/relays/tunnels' && req.method === 'POST') {
        if (this.tunnelsStatus !== 204) return json(this.tunnelsStatus, { code: 'boom' });
        this.reports.push(body as TunnelStatusReport);
        return json(204);
      }
      const limitsOf = /^\/api\/v1\/relays\/orgs\/([^/?]+)\/edge-limits$/.exec(url)?.[1];
      if (limitsOf && req.method === 'GET') {
        const limits = this.edgeLimits.get(decodeURIComponent(limitsOf));
        return limits ? json(200, limits) : json(404, { code: 'not_found' });
      }
      if (url === '/api/v1/relays/usage' && req.method === 'POST') {
        if (this.usageStatus !== 204) return json(this.usageStatus, { code: 'boom' });
        this.usageReports.push(body as UsageReport);
        return json(204);
      }
      const name = /^\/api\/v1\/relays\/names\/([^/?]+)$/.exec(url)?.[1];
      if (name && req.method === 'GET')
        return json(200, { reservedBy: this.reservations.get(decodeURIComponent(name)) ?? null });
      const policy = /^\/api\/v1\/relays\/policies\/([^/?]+)\/([^/?]+)$/.exec(url);
      if (policy && req.method === 'GET') {
        if (this.policiesStatus !== 200) return json(this.policiesStatus, { code: 'boom' });
        const key = `${decodeURIComponent(policy[1])}/${decodeURIComponent(policy[2])}`;
        return json(200, { policy: this.policies.get(key) ?? null });
      }
      json(404, { code: 'not_found' });
    });
  }

  async start(): Promise<this> {
    await this.addKey();
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A new signing key, published in the JWKS; tokens are signed with the newest. */
  async addKey(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    this.keys.push({
      kid,
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    });
    return kid;
  }

  /** A session token as the api signs it (typ, aud, iss, EdDSA), claims overridable. */
  async token(
    claims: Partial<AgentSessionClaims> = {},
    opts: {
      expiresIn?: string | number;
      typ?: string;
      audience?: string;
      unpublished?: boolean;
      /** sign with a fresh unpublished key under this kid (one the JWKS never had) */
      kid?: string;
    } = {},
  ): Promise<string> {
    const full = sessionClaims(claims);
    let key = this.keys[this.keys.length - 1];
    if (opts.unpublished || opts.kid) {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      key = { kid: opts.kid ?? key.kid, privateKey, jwk: {} };
    }
    return new SignJWT({ ...full })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: opts.typ ?? AGENT_SESSION_TYPE })
      .setIssuer(this.url)
      .setAudience(opts.audience ?? AGENT_SESSION_AUDIENCE)
      .setSubject(full.sub)
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '1h')
      .sign(key.privateKey);
  }

  heartbeats(): RelayHeartbeat[] {
    return this.requests
      .filter((r) => r.url === '/api/v1/relays/heartbeat')
      .map((r) => r.body as RelayHeartbeat);
  }

  events(): TunnelStatusEvent[] {
    return this.reports.flatMap((r) => r.events);
  }

  async waitFor<T>(what: string, fn: () => T | undefined | false, ms = 5000): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function sessionClaims(over: Partial<AgentSessionClaims> = {}): AgentSessionClaims {
  return {
    sub: 'authtoken-1',
    org: 'org-1',
    sid: randomUUID(),
    typ: AGENT_SESSION_TYPE,
    region: 'local',
    hosts: [],
    tcpPorts: [],
    policy: {},
    limits: { maxTunnels: 10, maxConnsPerTunnel: 1000 },
    ...over,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let s = '';
  for await (const chunk of req) s += chunk;
  try {
    return s ? JSON.parse(s) : undefined;
  } catch {
    return s;
  }
}
