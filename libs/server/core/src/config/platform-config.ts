import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { PortsConfig } from '@fdt/ports';
import { z } from 'zod';
import { isCidr } from '../http/trusted-proxies.js';

// Every FDT_* variable the server apps read, in one place. The README's configuration table
// mirrors this schema; nothing else in the code reads process.env.
const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().positive();
// `first-last`, e.g. 20000-20999: the pool of public TCP ports a relay hands to tcp tunnels.
const portRange = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, 'must be a range first-last, e.g. 20000-20999')
  .transform((v) => v.split('-').map(Number) as [number, number])
  .refine(
    ([first, last]) => first >= 1 && first <= last && last <= 65535,
    'must satisfy 1 <= first <= last <= 65535',
  )
  .transform(([first, last]) => ({ first, last }));
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const platformConfigSchema = z.object({
  // Unset is production: the built-in development secrets need NODE_ENV=development, said out loud.
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/fdt'),
  REDIS_URL: z.string().url().optional(),
  FDT_BIND_HOST: z.string().optional(),
  FDT_API_PORT: port.default(3000),
  FDT_API_PUBLIC_URL: z.string().url().default('http://localhost:3000'),
  FDT_API_ADMIN_PORT: port.default(9090),
  FDT_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().refine(isCidr, 'must be comma-separated IP addresses or CIDRs, e.g. 10.0.0.0/8')),
    ),
  FDT_RELAY_ADMIN_PORT: port.default(9091),
  FDT_WORKER_ADMIN_PORT: port.default(9092),
  FDT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FDT_ENCRYPTION_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64 encoded (openssl rand -base64 32)')
    .optional(),
  FDT_HTTP_BODY_LIMIT: z.string().default('100kb'),
  FDT_ACCESS_TOKEN_TTL: seconds.default(900),
  FDT_REFRESH_TOKEN_TTL: seconds.default(30 * 24 * 3600),
  FDT_AGENT_SESSION_TTL: seconds.default(3600),
  FDT_SIGNING_KEY_ROTATE_AFTER: seconds.default(30 * 24 * 3600),
  FDT_LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  FDT_LOGIN_LOCKOUT_WINDOW: seconds.default(900),
  FDT_LOGIN_IP_MAX_FAILURES: z.coerce.number().int().positive().default(50),
  FDT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  FDT_RELAY_STALE_AFTER: seconds.default(30),
  FDT_RELAY_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, 'letters, digits, dot, dash, underscore')
    .optional(),
  FDT_RELAY_REGION: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dot, dash, underscore (at most 63)')
    .default('local'),
  FDT_RELAY_PUBLIC_HOST: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'a host name, without scheme or port')
    .default('localhost'),
  FDT_RELAY_AGENT_PORT: port.default(4443),
  FDT_RELAY_HTTP_PORT: port.default(8080),
  FDT_RELAY_HTTPS_PORT: port.default(8443),
  FDT_RELAY_TCP_PORTS: portRange.default({ first: 20000, last: 20999 }),
  FDT_RELAY_CAPACITY: z.coerce.number().int().positive().default(1000),
  FDT_RELAY_HEARTBEAT_SECONDS: seconds.default(10),
  FDT_RELAY_SECRET: z.string().min(32, 'must be at least 32 characters (openssl rand -base64 32)').optional(),
  FDT_RELAY_AGENT_TLS: bool.default(true),
  FDT_RELAY_TLS_DIR: z.string().min(1).default('.fdt/tls'),
  FDT_RELAY_TLS_CERT_FILE: z.string().min(1).optional(),
  FDT_RELAY_TLS_KEY_FILE: z.string().min(1).optional(),
  FDT_RELAY_PUBLIC_HTTP_PORT: port.optional(),
  FDT_RELAY_PUBLIC_HTTPS_PORT: port.optional(),
  FDT_RELAY_UPSTREAM_TIMEOUT: seconds.default(60),
  FDT_RELAY_AGENT_PING_SECONDS: seconds.default(10),
  FDT_RELAY_MAX_HANDSHAKES: z.coerce.number().int().positive().default(256),
  FDT_RELAY_MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(64 * 1024),
  FDT_RELAY_HEADERS_TIMEOUT: seconds.default(20),
  FDT_RELAY_KEEPALIVE_TIMEOUT: seconds.default(5),
  FDT_RELAY_MAX_CONNS_PER_IP: z.coerce.number().int().positive().default(1000),
  FDT_RELAY_MAX_VISITOR_CONNS: z.coerce.number().int().positive().default(20_000),
  FDT_RELAY_MAX_HANDSHAKES_PER_IP: z.coerce.number().int().positive().default(16),
  FDT_RELAY_PROXY_PROTOCOL: bool.default(false),
  FDT_RELAY_FORWARDING: bool.optional(),
  FDT_RELAY_PEER_PORT: port.default(8444),
  FDT_RELAY_PEER_HOST: z
    .string()
    .refine(
      (v) => isIP(v) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v),
      'a host name or IP address, without scheme or port',
    )
    .optional(),
  FDT_RELAY_ROUTE_TTL: seconds.min(3).default(30),
  FDT_RELAY_PEER_TLS: bool.default(true),
  FDT_RELAY_PEER_TLS_CERT_FILE: z.string().min(1).optional(),
  FDT_RELAY_PEER_TLS_KEY_FILE: z.string().min(1).optional(),
  FDT_RELAY_PEER_TLS_CA_FILE: z.string().min(1).optional(),
  FDT_RELAY_LINK_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(256 * 1024)
    .default(32 * 1024 * 1024),
  FDT_RELAY_LINK_STALL_SECONDS: seconds.default(30),
  FDT_API_INTERNAL_URL: z.string().url().optional(),
  FDT_COOKIE_SECURE: bool.optional(),
  FDT_RUN_MIGRATIONS: bool.default(true),
  FDT_PORTS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/)
    .default('fdt'),
  FDT_QUEUE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .optional(),
  FDT_BASE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'a DNS name such as tunnels.example.com')
    .default('localhost'),
  // DNS-01 (wildcards, the base-domain certificate): the provider that writes the challenge's
  // TXT record — an RFC 2136 primary with a TSIG key, or Cloudflare's API.
  FDT_DNS_PROVIDER: z.enum(['none', 'rfc2136', 'cloudflare']).default('none'),
  FDT_DNS_RFC2136_SERVER: z
    .string()
    .regex(/^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i, 'host:port of the primary, e.g. 10.0.0.53:53')
    .optional(),
  FDT_DNS_RFC2136_ZONE: z
    .string()
    .regex(/^[a-z0-9._-]+$/i, 'a zone such as example.com')
    .optional(),
  FDT_DNS_RFC2136_TSIG_NAME: z.string().min(1).optional(),
  FDT_DNS_RFC2136_TSIG_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9+/]{22,}={0,2}$/, 'base64 of at least 16 bytes, as tsig-keygen prints it')
    .optional(),
  FDT_DNS_RFC2136_TSIG_ALGORITHM: z.enum(['hmac-sha256']).default('hmac-sha256'),
  FDT_DNS_CLOUDFLARE_API_TOKEN: z.string().min(1).optional(),
  FDT_DNS_CLOUDFLARE_ZONE_ID: z
    .string()
    .regex(/^[a-z0-9]+$/i, "the zone's id from its Overview page")
    .optional(),
  FDT_DNS_CLOUDFLARE_API_URL: z.string().url().default('https://api.cloudflare.com/client/v4'),
  // `acme`: the worker obtains and renews *.<base domain> + <base domain> by DNS-01 and relays
  // serve it by default; `static`: FDT_RELAY_TLS_CERT_FILE, else the dev CA (as before). The
  // DNS provider it needs is checked by the worker only: relays never hold DNS credentials.
  FDT_BASE_DOMAIN_CERT: z.enum(['static', 'acme']).default('static'),
  FDT_SIGNUP_ENABLED: bool.optional(),
  FDT_PLAN_MAX_TUNNELS: z.coerce.number().int().positive().default(10),
  FDT_PLAN_MAX_CONNS_PER_TUNNEL: z.coerce.number().int().positive().default(1000),
  FDT_PLAN_MAX_RESERVED_NAMES: z.coerce.number().int().min(0).default(20),
  FDT_PLAN_MAX_RESERVED_TCP_PORTS: z.coerce.number().int().min(0).default(10),
  FDT_RESERVED_SUBDOMAINS: z
    .string()
    .default('www,api,admin,app,relay,relays,status,mail,docs,localhost')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  FDT_PLATFORM_OPERATORS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.email('must be a comma-separated list of emails'))),
  // Invitations by email: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465.
  // Unset: no email is sent and admins copy the invitation link instead.
  FDT_SMTP_URL: z
    .string()
    .url()
    .refine((v) => /^smtps?:\/\//.test(v), 'must be smtp://… or smtps://…')
    .optional(),
  FDT_SMTP_FROM: z.string().min(3).default('fdt <no-reply@localhost>'),
  FDT_ADMIN_DIR: z.string().min(1).optional(),
  FDT_SSO_ALLOW_INSECURE_ISSUERS: bool.optional(),
  // Custom domains: where a domain's CNAME must point (default edge.<base domain>), the DNS
  // servers used for every verification lookup (host:port list; default the system's), and
  // whether the CNAME is required as well as the TXT record.
  FDT_EDGE_CNAME_TARGET: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'a DNS name such as edge.tunnels.example.com')
    .optional(),
  FDT_DNS_RESOLVERS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^(\[[0-9a-f:]+\]|[0-9.]+)(:\d{1,5})?$/i, 'host:port, e.g. 10.0.0.53:53')),
    ),
  FDT_DOMAIN_VERIFY_STRICT: bool.optional(),
  // First delay of the background re-check of an unverified domain (then doubling, up to 6 h).
  FDT_DOMAIN_RECHECK_SECONDS: seconds.default(60),
  // ACME (managed certificates, issued by the worker): the CA's directory, the account's
  // contact, a CA bundle to trust a private ACME server (pebble, step-ca), and how long before
  // expiry a certificate is renewed (default: a third of its lifetime).
  FDT_ACME_DIRECTORY_URL: z.string().url().default('https://acme-v02.api.letsencrypt.org/directory'),
  FDT_ACME_EMAIL: z.string().email().optional(),
  FDT_ACME_CA_FILE: z.string().min(1).optional(),
  FDT_ACME_RENEW_BEFORE: seconds.optional(),
  // Failed orders: runs before `failed`, and the first retry delay (doubling, jittered, capped at 6 h).
  FDT_ACME_RETRY_ATTEMPTS: z.coerce.number().int().positive().default(8),
  FDT_ACME_RETRY_BASE: seconds.default(60),
  // How a custom domain's managed certificate is validated: HTTP-01 on the relays' HTTP port, or
  // TLS-ALPN-01 on their HTTPS port. Wildcards and the base-domain certificate always use DNS-01.
  FDT_ACME_CHALLENGE: z.enum(['http-01', 'tls-alpn-01']).default('http-01'),
  // DNS-01: how long to wait, after the provider accepted the TXT record, for it to be visible
  // through FDT_DNS_RESOLVERS (else the system's) before the CA is asked to look; 0: do not wait.
  FDT_DNS_PROPAGATION_TIMEOUT: z.coerce.number().int().min(0).max(3600).default(120),
  // Billing providers (docs/billing.md). A provider is on when its credentials are set, and
  // then needs all of them (a key without its webhook secret could take payments whose
  // webhooks we could never verify). The *_API_URL overrides point the SDKs at local fakes.
  FDT_STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'a secret (sk_…) or restricted (rk_…) key')
    .optional(),
  FDT_STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/, "the endpoint's whsec_… secret")
    .optional(),
  FDT_STRIPE_API_URL: z.string().url().default('https://api.stripe.com'),
  FDT_RAZORPAY_KEY_ID: z
    .string()
    .regex(/^rzp_(test|live)_[A-Za-z0-9]+$/, 'a key id rzp_test_… or rzp_live_…')
    .optional(),
  FDT_RAZORPAY_KEY_SECRET: z.string().min(8).optional(),
  FDT_RAZORPAY_WEBHOOK_SECRET: z.string().min(8).optional(),
  FDT_RAZORPAY_API_URL: z.string().url().default('https://api.razorpay.com'),
  FDT_PAYPAL_CLIENT_ID: z.string().min(8).optional(),
  FDT_PAYPAL_CLIENT_SECRET: z.string().min(8).optional(),
  FDT_PAYPAL_WEBHOOK_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "the webhook's id from the app's settings")
    .optional(),
  // https://api-m.sandbox.paypal.com for PayPal's sandbox.
  FDT_PAYPAL_API_URL: z.string().url().default('https://api-m.paypal.com'),
  // Webhook events signed (Stripe, PayPal) or created (Razorpay) longer ago are refused.
  FDT_BILLING_WEBHOOK_MAX_AGE: seconds.default(300),
  // Processed and ignored webhook events are deleted after this many days (failed ones never).
  FDT_BILLING_WEBHOOK_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
  // How often the worker reconciles each configured provider's subscriptions; 0: never (operators still can).
  FDT_BILLING_RECONCILE_INTERVAL: z.coerce.number().int().min(0).default(86400),
});

export type PlatformConfigInput = z.input<typeof platformConfigSchema>;

export interface PlatformConfig {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  redisUrl?: string;
  /** 'redis' when REDIS_URL is set (scaled shape), otherwise 'single-node'. */
  adapters: 'redis' | 'single-node';
  /**
   * Never from the environment: `npm start` sets it in its process and in its relay child, so
   * that single-node ports live in one process and reach the other over IPC (see createPorts).
   */
  portsBridge?: PortsConfig['bridge'];
  bindHost?: string;
  api: {
    port: number;
    publicUrl: string;
    bodyLimit: string;
    /** The api's /metrics port (kept off the public port; 0 picks a free one). */
    adminPort: number;
  };
  /**
   * Addresses (CIDRs) of the reverse proxies and load balancers in front of the servers: only
   * from these is X-Forwarded-For believed. Empty: the socket's address is the client's.
   */
  trustedProxies: string[];
  relay: {
    adminPort: number;
    staleAfterSeconds: number;
    /** How the relay names itself to the api (unique per relay). */
    name: string;
    region: string;
    /** Host name visitors and agents use to reach this relay. */
    publicHost: string;
    agentPort: number;
    httpPort: number;
    httpsPort: number;
    tcpPorts: { first: number; last: number };
    /** Agents this relay accepts; the api weighs assignments by capacity and load. */
    capacity: number;
    heartbeatSeconds: number;
    /** Shared secret relays present (as a bearer) to the api's relay endpoints. */
    secret: string;
    /** Where relays reach the api: FDT_API_INTERNAL_URL, else FDT_API_PUBLIC_URL. */
    apiUrl: string;
    /** Whether the agent listener speaks TLS (plain TCP only for local development). */
    agentTls: boolean;
    /** TLS material: a configured certificate, else a dev CA and wildcard kept in `dir`. */
    tls: { dir: string; certFile?: string; keyFile?: string };
    /** Ports in public URLs when a load balancer maps others (default: the bound ports). */
    publicHttpPort?: number;
    publicHttpsPort?: number;
    /** Seconds a visitor request waits for the response head before a 504. */
    upstreamTimeoutSeconds: number;
    /** The relay pings each agent this often; three missed pings close the session. */
    agentPingSeconds: number;
    /** Agent handshakes in progress at once; more connections are refused. */
    maxHandshakes: number;
    /** Largest visitor request head (HTTP/1.1); bigger gets 431. */
    maxHeaderBytes: number;
    /** Bytes an agent link may hold each way: unread from the agent, queued toward it. */
    linkBufferBytes: number;
    /** An agent that reads nothing of a full queue for this long loses its link. */
    linkStallSeconds: number;
    /** Seconds a visitor has to send a whole request head (slowloris); then 408 and closed. */
    headersTimeoutSeconds: number;
    /** Seconds an idle keep-alive visitor connection stays open between requests. */
    keepAliveTimeoutSeconds: number;
    /** Visitor connections open at once from one address (trusted proxies without the PROXY protocol exempt). */
    maxConnsPerIp: number;
    /** Visitor connections open at once on all public listeners together. */
    maxVisitorConns: number;
    /** Agent handshakes in progress at once from one address. */
    maxHandshakesPerIp: number;
    /** Public listeners and the agent listener read a PROXY protocol header (v1/v2), required from, and only from, trustedProxies. */
    proxyProtocol: boolean;
    /**
     * Relay-to-relay forwarding: a visitor who reaches a relay that does not hold the tunnel
     * is passed to the relay that does, found in the route registry.
     */
    peering: {
      /** FDT_RELAY_FORWARDING, default on exactly when the registry is shared (REDIS_URL). */
      enabled: boolean;
      /** Where other relays connect (0 picks a free port). */
      port: number;
      /** The address other relays dial; unset: the bind address, else this machine's first non-loopback IP. */
      host?: string;
      /** Seconds a route claim lives in the registry unless refreshed (refreshed every third of it). */
      routeTtlSeconds: number;
      /**
       * Mutual TLS between relays: with the three files, certificates of the operator's cluster
       * CA; without, a CA derived from the relay secret. `enabled: false` is plaintext (unsafe).
       */
      tls: { enabled: boolean; certFile?: string; keyFile?: string; caFile?: string };
    };
  };
  worker: { adminPort: number };
  log: { level: string };
  /** 32-byte key for secrets at rest (signing keys, certificate keys). */
  encryptionKey: Buffer;
  auth: {
    accessTokenTtl: number;
    refreshTokenTtl: number;
    agentSessionTtl: number;
    signingKeyRotateAfter: number;
    loginMaxFailures: number;
    loginLockoutWindow: number;
    loginIpMaxFailures: number;
    rateLimitPerMinute: number;
    cookieSecure: boolean;
  };
  runMigrations: boolean;
  /** prefix of every Redis key and channel (several platforms can share one Redis) */
  portsNamespace: string;
  /** PostgreSQL schema of the single-node job queue (BullMQ's default when unset; `public` on PGlite) */
  queueSchema?: string;
  /** public tunnel hosts are <name>.<baseDomain> */
  baseDomain: string;
  /** Who provides the *.<baseDomain> certificate: ACME by DNS-01 (the worker), or the relay's file / dev CA. */
  baseDomainCert: 'static' | 'acme';
  /** The DNS provider DNS-01 challenges go through. */
  dns:
    | { provider: 'none' }
    | {
        provider: 'rfc2136';
        server: { host: string; port: number };
        zone: string;
        tsig: { name: string; algorithm: 'hmac-sha256'; secret: Buffer };
      }
    | { provider: 'cloudflare'; apiToken: string; zoneId: string; apiUrl: string };
  signupEnabled: boolean;
  /** Per org: tunnels per agent, connections per tunnel, reserved names and TCP ports. */
  plan: {
    maxTunnels: number;
    maxConnsPerTunnel: number;
    maxReservedNames: number;
    maxReservedTcpPorts: number;
  };
  /** Labels under the base domain that are the platform's own hosts: never a tunnel name. */
  reservedSubdomains: string[];
  /** Users (by email) who operate the platform itself: relays and regions in the admin. */
  platformOperators: string[];
  /** Outgoing mail (invitations); undefined: invitation links are shown to the admin instead. */
  smtp?: { url: string; from: string };
  /** The built admin SPA the api serves at `/`; default: apps/admin/dist/browser of this checkout. */
  adminDir?: string;
  sso: {
    /** OIDC issuers and IdP URLs over http: or on loopback/private addresses (dev and test IdPs). */
    allowInsecureIssuers: boolean;
  };
  /** Custom domains: verification of their DNS records. */
  domains: {
    /** the name a custom domain's CNAME must point to */
    edgeCnameTarget: string;
    /** DNS servers (`ip` or `ip:port`) for every verification lookup; empty: the system's */
    dnsResolvers: string[];
    /** require the CNAME as well as the TXT record */
    verifyStrict: boolean;
    /** first delay of the background re-check (doubling after each failed check) */
    recheckFirstDelaySeconds: number;
  };
  /** Managed certificates (the worker's ACME client). */
  acme: {
    directoryUrl: string;
    email?: string;
    /** PEM bundle trusted for the ACME server's HTTPS (a private CA such as pebble's) */
    caFile?: string;
    /** renew this many seconds before expiry; undefined: at two thirds of the lifetime */
    renewBeforeSeconds?: number;
    /** runs of a failing order before it is `failed` */
    retryAttempts: number;
    /** first retry delay (doubling, with jitter); also the soonest a renewal follows an issuance */
    retryBaseSeconds: number;
    /** challenge for a custom (non-wildcard) domain's certificate; wildcards always use dns-01 */
    challenge: 'http-01' | 'tls-alpn-01';
    /** DNS-01: seconds to wait for the TXT record to be visible (FDT_DNS_RESOLVERS) before the CA looks; 0: no wait */
    dnsPropagationTimeoutSeconds: number;
  };
  /** Payment providers; a provider is present when configured (manual plans need none). */
  billing: {
    webhookMaxAgeSeconds: number;
    /** processed/ignored webhook events older than this are deleted */
    webhookRetentionDays: number;
    /** seconds between scheduled reconciles of each provider; 0: none */
    reconcileIntervalSeconds: number;
    stripe?: { secretKey: string; webhookSecret: string; apiUrl: string };
    razorpay?: { keyId: string; keySecret: string; webhookSecret: string; apiUrl: string };
    paypal?: { clientId: string; clientSecret: string; webhookId: string; apiUrl: string };
  };
}

export class ConfigError extends Error {}

// Called after the required FDT_DNS_* variables of the chosen provider were checked present.
function dnsConfig(c: z.output<typeof platformConfigSchema>): PlatformConfig['dns'] {
  if (c.FDT_DNS_PROVIDER === 'rfc2136') {
    const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(c.FDT_DNS_RFC2136_SERVER ?? '') ?? [];
    return {
      provider: 'rfc2136',
      server: { host: m[1] ?? '', port: Number(m[2] ?? 53) },
      zone: (c.FDT_DNS_RFC2136_ZONE ?? '').toLowerCase().replace(/\.$/, ''),
      tsig: {
        name: c.FDT_DNS_RFC2136_TSIG_NAME ?? '',
        algorithm: c.FDT_DNS_RFC2136_TSIG_ALGORITHM,
        secret: Buffer.from(c.FDT_DNS_RFC2136_TSIG_SECRET ?? '', 'base64'),
      },
    };
  }
  if (c.FDT_DNS_PROVIDER === 'cloudflare') {
    return {
      provider: 'cloudflare',
      apiToken: c.FDT_DNS_CLOUDFLARE_API_TOKEN ?? '',
      zoneId: c.FDT_DNS_CLOUDFLARE_ZONE_ID ?? '',
      apiUrl: c.FDT_DNS_CLOUDFLARE_API_URL.replace(/\/$/, ''),
    };
  }
  return { provider: 'none' };
}

// A fixed, published key: only for development and tests, refused in production.
const DEV_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const DEV_RELAY_SECRET = 'fdt-dev-relay-secret-not-for-production';

export function loadPlatformConfig(env: Record<string, string | undefined> = process.env): PlatformConfig {
  const parsed = platformConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  // The development values are in this file for anyone to read: a server that ran with them
  // would seal keys and accept relays with a public secret. Only an explicit
  // NODE_ENV=development (npm start sets it) may fall back to them.
  if (c.NODE_ENV !== 'development') {
    const missing = [
      (c.FDT_ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY) === DEV_ENCRYPTION_KEY && 'FDT_ENCRYPTION_KEY',
      (c.FDT_RELAY_SECRET ?? DEV_RELAY_SECRET) === DEV_RELAY_SECRET && 'FDT_RELAY_SECRET',
    ].filter((v): v is string => !!v);
    if (missing.length) {
      throw new ConfigError(
        `Invalid configuration:\n  ${missing.join(', ')}: required unless NODE_ENV=development ` +
          `(NODE_ENV is ${env.NODE_ENV ? `'${env.NODE_ENV}'` : 'unset, which means production'}; ` +
          'the built-in development values are public). Generate each with: openssl rand -base64 32',
      );
    }
  }
  // A PROXY header names the client: believed from anyone, it would let every visitor pick
  // the address IP policies judge. The proxies must be named (0.0.0.0/0 says "anyone" on purpose).
  if (c.FDT_RELAY_PROXY_PROTOCOL && !c.FDT_TRUSTED_PROXIES.length) {
    throw new ConfigError(
      "Invalid configuration:\n  FDT_RELAY_PROXY_PROTOCOL: needs FDT_TRUSTED_PROXIES (the load balancers' addresses or CIDRs)",
    );
  }
  const peerFiles = [
    c.FDT_RELAY_PEER_TLS_CERT_FILE,
    c.FDT_RELAY_PEER_TLS_KEY_FILE,
    c.FDT_RELAY_PEER_TLS_CA_FILE,
  ];
  if (peerFiles.some(Boolean) && !peerFiles.every(Boolean)) {
    throw new ConfigError(
      'Invalid configuration:\n  FDT_RELAY_PEER_TLS_CERT_FILE, FDT_RELAY_PEER_TLS_KEY_FILE, FDT_RELAY_PEER_TLS_CA_FILE: set all three or none',
    );
  }
  if (!c.FDT_RELAY_TLS_CERT_FILE !== !c.FDT_RELAY_TLS_KEY_FILE) {
    throw new ConfigError(
      'Invalid configuration:\n  FDT_RELAY_TLS_CERT_FILE, FDT_RELAY_TLS_KEY_FILE: set both or neither',
    );
  }
  const dnsNeeds = {
    none: [],
    rfc2136: [
      'FDT_DNS_RFC2136_SERVER',
      'FDT_DNS_RFC2136_ZONE',
      'FDT_DNS_RFC2136_TSIG_NAME',
      'FDT_DNS_RFC2136_TSIG_SECRET',
    ],
    cloudflare: ['FDT_DNS_CLOUDFLARE_API_TOKEN', 'FDT_DNS_CLOUDFLARE_ZONE_ID'],
  }[c.FDT_DNS_PROVIDER].filter((k) => !c[k as keyof typeof c]);
  if (dnsNeeds.length) {
    throw new ConfigError(
      `Invalid configuration:\n  ${dnsNeeds.join(', ')}: required with FDT_DNS_PROVIDER=${c.FDT_DNS_PROVIDER}`,
    );
  }
  const billingGroups = [
    ['FDT_STRIPE_SECRET_KEY', 'FDT_STRIPE_WEBHOOK_SECRET'],
    ['FDT_RAZORPAY_KEY_ID', 'FDT_RAZORPAY_KEY_SECRET', 'FDT_RAZORPAY_WEBHOOK_SECRET'],
    ['FDT_PAYPAL_CLIENT_ID', 'FDT_PAYPAL_CLIENT_SECRET', 'FDT_PAYPAL_WEBHOOK_ID'],
  ] as const;
  for (const group of billingGroups) {
    const unset = group.filter((k) => !c[k]);
    if (unset.length && unset.length < group.length) {
      throw new ConfigError(
        `Invalid configuration:\n  ${unset.join(', ')}: required with ${group.filter((k) => c[k]).join(', ')} ` +
          '(a billing provider needs its key and its webhook secret, or none of them)',
      );
    }
  }
  return {
    env: c.NODE_ENV,
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    adapters: c.REDIS_URL ? 'redis' : 'single-node',
    bindHost: c.FDT_BIND_HOST,
    api: {
      port: c.FDT_API_PORT,
      publicUrl: c.FDT_API_PUBLIC_URL.replace(/\/$/, ''),
      bodyLimit: c.FDT_HTTP_BODY_LIMIT,
      adminPort: c.FDT_API_ADMIN_PORT,
    },
    trustedProxies: c.FDT_TRUSTED_PROXIES,
    relay: {
      adminPort: c.FDT_RELAY_ADMIN_PORT,
      staleAfterSeconds: c.FDT_RELAY_STALE_AFTER,
      name: c.FDT_RELAY_NAME ?? hostname(),
      region: c.FDT_RELAY_REGION,
      publicHost: c.FDT_RELAY_PUBLIC_HOST,
      agentPort: c.FDT_RELAY_AGENT_PORT,
      httpPort: c.FDT_RELAY_HTTP_PORT,
      httpsPort: c.FDT_RELAY_HTTPS_PORT,
      tcpPorts: c.FDT_RELAY_TCP_PORTS,
      capacity: c.FDT_RELAY_CAPACITY,
      heartbeatSeconds: c.FDT_RELAY_HEARTBEAT_SECONDS,
      secret: c.FDT_RELAY_SECRET ?? DEV_RELAY_SECRET,
      apiUrl: (c.FDT_API_INTERNAL_URL ?? c.FDT_API_PUBLIC_URL).replace(/\/$/, ''),
      agentTls: c.FDT_RELAY_AGENT_TLS,
      tls: {
        dir: c.FDT_RELAY_TLS_DIR,
        certFile: c.FDT_RELAY_TLS_CERT_FILE,
        keyFile: c.FDT_RELAY_TLS_KEY_FILE,
      },
      publicHttpPort: c.FDT_RELAY_PUBLIC_HTTP_PORT,
      publicHttpsPort: c.FDT_RELAY_PUBLIC_HTTPS_PORT,
      upstreamTimeoutSeconds: c.FDT_RELAY_UPSTREAM_TIMEOUT,
      agentPingSeconds: c.FDT_RELAY_AGENT_PING_SECONDS,
      maxHandshakes: c.FDT_RELAY_MAX_HANDSHAKES,
      maxHeaderBytes: c.FDT_RELAY_MAX_HEADER_BYTES,
      linkBufferBytes: c.FDT_RELAY_LINK_BUFFER_BYTES,
      linkStallSeconds: c.FDT_RELAY_LINK_STALL_SECONDS,
      headersTimeoutSeconds: c.FDT_RELAY_HEADERS_TIMEOUT,
      keepAliveTimeoutSeconds: c.FDT_RELAY_KEEPALIVE_TIMEOUT,
      maxConnsPerIp: c.FDT_RELAY_MAX_CONNS_PER_IP,
      maxVisitorConns: c.FDT_RELAY_MAX_VISITOR_CONNS,
      maxHandshakesPerIp: c.FDT_RELAY_MAX_HANDSHAKES_PER_IP,
      proxyProtocol: c.FDT_RELAY_PROXY_PROTOCOL,
      peering: {
        enabled: c.FDT_RELAY_FORWARDING ?? !!c.REDIS_URL,
        port: c.FDT_RELAY_PEER_PORT,
        host: c.FDT_RELAY_PEER_HOST,
        routeTtlSeconds: c.FDT_RELAY_ROUTE_TTL,
        tls: {
          enabled: c.FDT_RELAY_PEER_TLS,
          certFile: c.FDT_RELAY_PEER_TLS_CERT_FILE,
          keyFile: c.FDT_RELAY_PEER_TLS_KEY_FILE,
          caFile: c.FDT_RELAY_PEER_TLS_CA_FILE,
        },
      },
    },
    worker: { adminPort: c.FDT_WORKER_ADMIN_PORT },
    log: { level: c.FDT_LOG_LEVEL },
    encryptionKey: Buffer.from(c.FDT_ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY, 'base64'),
    auth: {
      accessTokenTtl: c.FDT_ACCESS_TOKEN_TTL,
      refreshTokenTtl: c.FDT_REFRESH_TOKEN_TTL,
      agentSessionTtl: c.FDT_AGENT_SESSION_TTL,
      signingKeyRotateAfter: c.FDT_SIGNING_KEY_ROTATE_AFTER,
      loginMaxFailures: c.FDT_LOGIN_MAX_FAILURES,
      loginLockoutWindow: c.FDT_LOGIN_LOCKOUT_WINDOW,
      loginIpMaxFailures: c.FDT_LOGIN_IP_MAX_FAILURES,
      rateLimitPerMinute: c.FDT_RATE_LIMIT_PER_MINUTE,
      cookieSecure: c.FDT_COOKIE_SECURE ?? c.FDT_API_PUBLIC_URL.startsWith('https:'),
    },
    runMigrations: c.FDT_RUN_MIGRATIONS,
    portsNamespace: c.FDT_PORTS_NAMESPACE,
    queueSchema: c.FDT_QUEUE_SCHEMA,
    baseDomain: c.FDT_BASE_DOMAIN.toLowerCase(),
    baseDomainCert: c.FDT_BASE_DOMAIN_CERT,
    dns: dnsConfig(c),
    signupEnabled: c.FDT_SIGNUP_ENABLED ?? c.NODE_ENV !== 'production',
    plan: {
      maxTunnels: c.FDT_PLAN_MAX_TUNNELS,
      maxConnsPerTunnel: c.FDT_PLAN_MAX_CONNS_PER_TUNNEL,
      maxReservedNames: c.FDT_PLAN_MAX_RESERVED_NAMES,
      maxReservedTcpPorts: c.FDT_PLAN_MAX_RESERVED_TCP_PORTS,
    },
    reservedSubdomains: c.FDT_RESERVED_SUBDOMAINS,
    platformOperators: c.FDT_PLATFORM_OPERATORS,
    smtp: c.FDT_SMTP_URL ? { url: c.FDT_SMTP_URL, from: c.FDT_SMTP_FROM } : undefined,
    adminDir: c.FDT_ADMIN_DIR,
    sso: { allowInsecureIssuers: c.FDT_SSO_ALLOW_INSECURE_ISSUERS ?? c.NODE_ENV === 'development' },
    domains: {
      edgeCnameTarget: (c.FDT_EDGE_CNAME_TARGET ?? `edge.${c.FDT_BASE_DOMAIN}`)
        .toLowerCase()
        .replace(/\.$/, ''),
      dnsResolvers: c.FDT_DNS_RESOLVERS,
      verifyStrict: c.FDT_DOMAIN_VERIFY_STRICT ?? false,
      recheckFirstDelaySeconds: c.FDT_DOMAIN_RECHECK_SECONDS,
    },
    acme: {
      directoryUrl: c.FDT_ACME_DIRECTORY_URL,
      email: c.FDT_ACME_EMAIL,
      caFile: c.FDT_ACME_CA_FILE,
      renewBeforeSeconds: c.FDT_ACME_RENEW_BEFORE,
      retryAttempts: c.FDT_ACME_RETRY_ATTEMPTS,
      retryBaseSeconds: c.FDT_ACME_RETRY_BASE,
      challenge: c.FDT_ACME_CHALLENGE,
      dnsPropagationTimeoutSeconds: c.FDT_DNS_PROPAGATION_TIMEOUT,
    },
    billing: billingConfig(c),
  };
}

// Called after each provider's variables were checked all-or-none.
function billingConfig(c: z.output<typeof platformConfigSchema>): PlatformConfig['billing'] {
  const url = (u: string) => u.replace(/\/$/, '');
  return {
    webhookMaxAgeSeconds: c.FDT_BILLING_WEBHOOK_MAX_AGE,
    webhookRetentionDays: c.FDT_BILLING_WEBHOOK_RETENTION_DAYS,
    reconcileIntervalSeconds: c.FDT_BILLING_RECONCILE_INTERVAL,
    stripe:
      c.FDT_STRIPE_SECRET_KEY && c.FDT_STRIPE_WEBHOOK_SECRET
        ? {
            secretKey: c.FDT_STRIPE_SECRET_KEY,
            webhookSecret: c.FDT_STRIPE_WEBHOOK_SECRET,
            apiUrl: url(c.FDT_STRIPE_API_URL),
          }
        : undefined,
    razorpay:
      c.FDT_RAZORPAY_KEY_ID && c.FDT_RAZORPAY_KEY_SECRET && c.FDT_RAZORPAY_WEBHOOK_SECRET
        ? {
            keyId: c.FDT_RAZORPAY_KEY_ID,
            keySecret: c.FDT_RAZORPAY_KEY_SECRET,
            webhookSecret: c.FDT_RAZORPAY_WEBHOOK_SECRET,
            apiUrl: url(c.FDT_RAZORPAY_API_URL),
          }
        : undefined,
    paypal:
      c.FDT_PAYPAL_CLIENT_ID && c.FDT_PAYPAL_CLIENT_SECRET && c.FDT_PAYPAL_WEBHOOK_ID
        ? {
            clientId: c.FDT_PAYPAL_CLIENT_ID,
            clientSecret: c.FDT_PAYPAL_CLIENT_SECRET,
            webhookId: c.FDT_PAYPAL_WEBHOOK_ID,
            apiUrl: url(c.FDT_PAYPAL_API_URL),
          }
        : undefined,
  };
}
