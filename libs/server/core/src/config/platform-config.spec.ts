import { hostname } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadPlatformConfig } from './platform-config.js';

// Explicit development, where the built-in secrets are allowed (NODE_ENV unset means production).
const dev = (env: Record<string, string> = {}) => loadPlatformConfig({ NODE_ENV: 'development', ...env });

describe('loadPlatformConfig', () => {
  it('gives the documented defaults and the single-node shape without REDIS_URL', () => {
    const c = dev();
    expect(c.api.port).toBe(3000);
    expect(c.adapters).toBe('single-node');
    expect(c.encryptionKey).toHaveLength(32);
  });

  it('chooses the scaled shape when REDIS_URL is set', () => {
    expect(dev({ REDIS_URL: 'redis://127.0.0.1:6379' }).adapters).toBe('redis');
  });

  it('names every invalid variable', () => {
    expect(() => dev({ FDT_API_PORT: 'eighty', DATABASE_URL: 'nope' })).toThrow(
      /FDT_API_PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*FDT_API_PORT/,
    );
  });

  it('gives the relay its documented defaults and reaches the api at its public URL', () => {
    const { relay } = dev({ FDT_API_PUBLIC_URL: 'https://fdt.example.com/' });
    expect(relay).toMatchObject({
      region: 'local',
      publicHost: 'localhost',
      agentPort: 4443,
      httpPort: 8080,
      httpsPort: 8443,
      tcpPorts: { first: 20000, last: 20999 },
      capacity: 1000,
      heartbeatSeconds: 10,
      apiUrl: 'https://fdt.example.com',
    });
    expect(relay.name).toBe(hostname());
    expect(relay.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('reads the relay variables, preferring FDT_API_INTERNAL_URL, and names a bad port range', () => {
    const { relay } = dev({
      FDT_RELAY_NAME: 'edge-1',
      FDT_RELAY_REGION: 'eu-west',
      FDT_RELAY_TCP_PORTS: '30000-30009',
      FDT_RELAY_HEARTBEAT_SECONDS: '3',
      FDT_API_INTERNAL_URL: 'http://api:3000/',
    });
    expect(relay).toMatchObject({
      name: 'edge-1',
      region: 'eu-west',
      tcpPorts: { first: 30000, last: 30009 },
      heartbeatSeconds: 3,
      apiUrl: 'http://api:3000',
    });
    expect(() => dev({ FDT_RELAY_TCP_PORTS: '20999-20000' })).toThrow(/FDT_RELAY_TCP_PORTS/);
    expect(() => dev({ FDT_RELAY_TCP_PORTS: '20000' })).toThrow(/FDT_RELAY_TCP_PORTS/);
    expect(() => dev({ FDT_RELAY_PUBLIC_HOST: 'https://relay.example.com' })).toThrow(
      /FDT_RELAY_PUBLIC_HOST/,
    );
  });

  it('forwards between relays exactly when the registry is shared, unless told otherwise', () => {
    expect(dev().relay.peering).toEqual({
      enabled: false,
      port: 8444,
      host: undefined,
      routeTtlSeconds: 30,
      tls: { enabled: true, certFile: undefined, keyFile: undefined, caFile: undefined },
    });
    expect(dev({ REDIS_URL: 'redis://127.0.0.1:6379' }).relay.peering.enabled).toBe(true);
    const off = dev({ REDIS_URL: 'redis://127.0.0.1:6379', FDT_RELAY_FORWARDING: 'false' });
    expect(off.relay.peering.enabled).toBe(false);
    expect(
      dev({
        FDT_RELAY_FORWARDING: 'true',
        FDT_RELAY_PEER_PORT: '9444',
        FDT_RELAY_PEER_HOST: 'fd00::12',
        FDT_RELAY_ROUTE_TTL: '12',
      }).relay.peering,
    ).toMatchObject({ enabled: true, port: 9444, host: 'fd00::12', routeTtlSeconds: 12 });
    expect(dev({ FDT_RELAY_PEER_HOST: '10.1.2.3' }).relay.peering.host).toBe('10.1.2.3');
    expect(() => dev({ FDT_RELAY_PEER_HOST: 'tcp://10.1.2.3:8444' })).toThrow(/FDT_RELAY_PEER_HOST/);
    expect(() => dev({ FDT_RELAY_ROUTE_TTL: '1' })).toThrow(/FDT_RELAY_ROUTE_TTL/);
  });

  it('takes the peer TLS files all three or none, and plaintext between relays only when told', () => {
    const files = {
      FDT_RELAY_PEER_TLS_CERT_FILE: '/etc/fdt/peer-tls/tls.crt',
      FDT_RELAY_PEER_TLS_KEY_FILE: '/etc/fdt/peer-tls/tls.key',
      FDT_RELAY_PEER_TLS_CA_FILE: '/etc/fdt/peer-tls/ca.crt',
    };
    expect(dev(files).relay.peering.tls).toEqual({
      enabled: true,
      certFile: files.FDT_RELAY_PEER_TLS_CERT_FILE,
      keyFile: files.FDT_RELAY_PEER_TLS_KEY_FILE,
      caFile: files.FDT_RELAY_PEER_TLS_CA_FILE,
    });
    const { FDT_RELAY_PEER_TLS_CA_FILE: _ca, ...twoOfThree } = files;
    expect(() => dev(twoOfThree)).toThrow(/set all three or none/);
    expect(dev({ FDT_RELAY_PEER_TLS: 'false' }).relay.peering.tls.enabled).toBe(false);
  });

  it('gives agent links a 32 MiB buffer budget and a 30 s stall deadline, and no budget below 256 KiB', () => {
    expect(dev().relay).toMatchObject({ linkBufferBytes: 32 * 1024 * 1024, linkStallSeconds: 30 });
    expect(
      dev({ FDT_RELAY_LINK_BUFFER_BYTES: '4194304', FDT_RELAY_LINK_STALL_SECONDS: '5' }).relay,
    ).toMatchObject({ linkBufferBytes: 4194304, linkStallSeconds: 5 });
    expect(() => dev({ FDT_RELAY_LINK_BUFFER_BYTES: '1024' })).toThrow(/FDT_RELAY_LINK_BUFFER_BYTES/);
  });

  it('refuses production without a relay secret', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(() => loadPlatformConfig({ NODE_ENV: 'production', FDT_ENCRYPTION_KEY: key })).toThrow(
      /FDT_RELAY_SECRET/,
    );
    const secret = 'r'.repeat(32);
    expect(
      loadPlatformConfig({ NODE_ENV: 'production', FDT_ENCRYPTION_KEY: key, FDT_RELAY_SECRET: secret }).relay
        .secret,
    ).toBe(secret);
  });

  it('refuses production without an encryption key', () => {
    expect(() => loadPlatformConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadPlatformConfig({ NODE_ENV: 'production', FDT_ENCRYPTION_KEY: 'short' })).toThrow(
      /FDT_ENCRYPTION_KEY/,
    );
  });

  it('treats an unset NODE_ENV as production and names every missing secret', () => {
    const message = /FDT_ENCRYPTION_KEY, FDT_RELAY_SECRET: required unless NODE_ENV=development[\s\S]*unset/;
    expect(() => loadPlatformConfig({})).toThrow(message);
    expect(() => loadPlatformConfig({ NODE_ENV: 'test' })).toThrow(/FDT_ENCRYPTION_KEY, FDT_RELAY_SECRET/);
    expect(dev().env).toBe('development');
  });

  it('refuses the published development values even when set explicitly', () => {
    const devKey = Buffer.alloc(32, 7).toString('base64');
    expect(() =>
      loadPlatformConfig({
        NODE_ENV: 'production',
        FDT_ENCRYPTION_KEY: devKey,
        FDT_RELAY_SECRET: 'r'.repeat(32),
      }),
    ).toThrow(/FDT_ENCRYPTION_KEY: required unless NODE_ENV=development/);
  });

  it('reads FDT_TRUSTED_PROXIES as addresses and CIDRs, none by default', () => {
    expect(dev().trustedProxies).toEqual([]);
    expect(dev({ FDT_TRUSTED_PROXIES: ' 10.0.0.0/8, 192.0.2.7 ,fd00::/8' }).trustedProxies).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      'fd00::/8',
    ]);
    for (const bad of ['10.0.0.0/33', 'loopback', '10.0.0.0/8/1', 'fd00::/129'])
      expect(() => dev({ FDT_TRUSTED_PROXIES: bad })).toThrow(/FDT_TRUSTED_PROXIES/);
  });

  it('takes the PROXY protocol only with named trusted proxies, and gives the relay its visitor limits', () => {
    expect(() => dev({ FDT_RELAY_PROXY_PROTOCOL: 'true' })).toThrow(
      /FDT_RELAY_PROXY_PROTOCOL: needs FDT_TRUSTED_PROXIES/,
    );
    const r = dev({ FDT_RELAY_PROXY_PROTOCOL: 'true', FDT_TRUSTED_PROXIES: '10.0.0.0/8' }).relay;
    expect(r).toMatchObject({
      proxyProtocol: true,
      headersTimeoutSeconds: 20,
      keepAliveTimeoutSeconds: 5,
      maxConnsPerIp: 1000,
      maxVisitorConns: 20_000,
      maxHandshakesPerIp: 16,
    });
    expect(dev().relay.proxyProtocol).toBe(false);
  });
});

describe('custom-domain verification config', () => {
  it('points CNAMEs at edge.<base domain>, uses the system resolvers and is not strict by default', () => {
    expect(dev({ FDT_BASE_DOMAIN: 'Tunnels.Example.com' }).domains).toEqual({
      edgeCnameTarget: 'edge.tunnels.example.com',
      dnsResolvers: [],
      verifyStrict: false,
      recheckFirstDelaySeconds: 60,
    });
  });

  it('takes resolvers as ip[:port] lists and refuses host names there', () => {
    const c = dev({
      FDT_DNS_RESOLVERS: '10.0.0.53, 127.0.0.1:8053,[::1]:53',
      FDT_DOMAIN_VERIFY_STRICT: 'true',
    });
    expect(c.domains.dnsResolvers).toEqual(['10.0.0.53', '127.0.0.1:8053', '[::1]:53']);
    expect(c.domains.verifyStrict).toBe(true);
    // dns.Resolver#setServers takes addresses only: a name would fail at the first lookup.
    expect(() => dev({ FDT_DNS_RESOLVERS: 'dns.example.com:53' })).toThrow(/FDT_DNS_RESOLVERS/);
  });
});

describe('DNS-01 propagation wait config', () => {
  it('waits 120 s by default, 0 turns the wait off, and a negative or fractional value is refused', () => {
    expect(dev().acme.dnsPropagationTimeoutSeconds).toBe(120);
    expect(dev({ FDT_DNS_PROPAGATION_TIMEOUT: '0' }).acme.dnsPropagationTimeoutSeconds).toBe(0);
    expect(dev({ FDT_DNS_PROPAGATION_TIMEOUT: '30' }).acme.dnsPropagationTimeoutSeconds).toBe(30);
    expect(() => dev({ FDT_DNS_PROPAGATION_TIMEOUT: '-1' })).toThrow(/FDT_DNS_PROPAGATION_TIMEOUT/);
    expect(() => dev({ FDT_DNS_PROPAGATION_TIMEOUT: '1.5' })).toThrow(/FDT_DNS_PROPAGATION_TIMEOUT/);
  });
});

describe('ACME challenge config', () => {
  it('validates custom domains by http-01 unless FDT_ACME_CHALLENGE picks tls-alpn-01 (dns-01 is not a choice: wildcards only)', () => {
    expect(dev().acme.challenge).toBe('http-01');
    expect(dev({ FDT_ACME_CHALLENGE: 'tls-alpn-01' }).acme.challenge).toBe('tls-alpn-01');
    expect(() => dev({ FDT_ACME_CHALLENGE: 'dns-01' })).toThrow(/FDT_ACME_CHALLENGE/);
    expect(() => dev({ FDT_ACME_CHALLENGE: 'tls-sni-01' })).toThrow(/FDT_ACME_CHALLENGE/);
  });
});

describe('billing provider config', () => {
  const stripe = { FDT_STRIPE_SECRET_KEY: 'sk_test_abc123', FDT_STRIPE_WEBHOOK_SECRET: 'whsec_abc123' };
  const razorpay = {
    FDT_RAZORPAY_KEY_ID: 'rzp_test_abc123',
    FDT_RAZORPAY_KEY_SECRET: 'secret-123456',
    FDT_RAZORPAY_WEBHOOK_SECRET: 'whsecret-1234',
  };
  const paypal = {
    FDT_PAYPAL_CLIENT_ID: 'client-id-123',
    FDT_PAYPAL_CLIENT_SECRET: 'client-secret-123',
    FDT_PAYPAL_WEBHOOK_ID: 'WH-8PT597110X687430LKGECATA',
  };

  it('configures no provider by default, with a 300 s webhook age limit', () => {
    expect(dev().billing).toEqual({
      webhookMaxAgeSeconds: 300,
      webhookRetentionDays: 90,
      reconcileIntervalSeconds: 86400,
      stripe: undefined,
      razorpay: undefined,
      paypal: undefined,
    });
  });

  it('turns each provider on with all its variables, at its production API unless overridden', () => {
    const c = dev({ ...stripe, ...razorpay, ...paypal, FDT_PAYPAL_API_URL: 'http://127.0.0.1:9999/' });
    expect(c.billing.stripe).toEqual({
      secretKey: 'sk_test_abc123',
      webhookSecret: 'whsec_abc123',
      apiUrl: 'https://api.stripe.com',
    });
    expect(c.billing.razorpay).toMatchObject({
      keyId: 'rzp_test_abc123',
      apiUrl: 'https://api.razorpay.com',
    });
    expect(c.billing.paypal).toMatchObject({
      webhookId: paypal.FDT_PAYPAL_WEBHOOK_ID,
      apiUrl: 'http://127.0.0.1:9999',
    });
  });

  it('refuses a half-configured provider and names what is missing', () => {
    expect(() => dev({ FDT_STRIPE_SECRET_KEY: 'sk_test_abc123' })).toThrow(
      /FDT_STRIPE_WEBHOOK_SECRET: required with FDT_STRIPE_SECRET_KEY/,
    );
    const { FDT_RAZORPAY_WEBHOOK_SECRET: _unset, ...razorpayWithoutSecret } = razorpay;
    expect(() => dev(razorpayWithoutSecret)).toThrow(
      /FDT_RAZORPAY_WEBHOOK_SECRET: required with FDT_RAZORPAY_KEY_ID, FDT_RAZORPAY_KEY_SECRET/,
    );
    expect(() => dev({ FDT_PAYPAL_WEBHOOK_ID: 'WH-1' })).toThrow(
      /FDT_PAYPAL_CLIENT_ID, FDT_PAYPAL_CLIENT_SECRET: required with FDT_PAYPAL_WEBHOOK_ID/,
    );
  });

  it('refuses keys of the wrong shape, API URLs that are not URLs and a zero max age', () => {
    expect(() => dev({ ...stripe, FDT_STRIPE_SECRET_KEY: 'pk_test_abc' })).toThrow(/FDT_STRIPE_SECRET_KEY/);
    expect(() => dev({ ...stripe, FDT_STRIPE_WEBHOOK_SECRET: 'abc' })).toThrow(/FDT_STRIPE_WEBHOOK_SECRET/);
    expect(() => dev({ ...razorpay, FDT_RAZORPAY_KEY_ID: 'key' })).toThrow(/FDT_RAZORPAY_KEY_ID/);
    expect(() => dev({ FDT_STRIPE_API_URL: 'api.stripe.com' })).toThrow(/FDT_STRIPE_API_URL/);
    expect(() => dev({ FDT_BILLING_WEBHOOK_MAX_AGE: '0' })).toThrow(/FDT_BILLING_WEBHOOK_MAX_AGE/);
    expect(() => dev({ FDT_BILLING_WEBHOOK_RETENTION_DAYS: '0' })).toThrow(
      /FDT_BILLING_WEBHOOK_RETENTION_DAYS/,
    );
    expect(() => dev({ FDT_BILLING_RECONCILE_INTERVAL: '-1' })).toThrow(/FDT_BILLING_RECONCILE_INTERVAL/);
    expect(dev({}).billing).toMatchObject({ webhookRetentionDays: 90, reconcileIntervalSeconds: 86400 });
    expect(dev({ FDT_BILLING_RECONCILE_INTERVAL: '0' }).billing.reconcileIntervalSeconds).toBe(0);
  });
});
