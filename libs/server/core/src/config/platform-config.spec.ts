import { hostname } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadPlatformConfig } from './platform-config.js';

describe('loadPlatformConfig', () => {
  it('gives the documented defaults and the single-node shape without REDIS_URL', () => {
    const c = loadPlatformConfig({});
    expect(c.api.port).toBe(3000);
    expect(c.adapters).toBe('single-node');
    expect(c.encryptionKey).toHaveLength(32);
  });

  it('chooses the scaled shape when REDIS_URL is set', () => {
    expect(loadPlatformConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).adapters).toBe('redis');
  });

  it('names every invalid variable', () => {
    expect(() => loadPlatformConfig({ FDT_API_PORT: 'eighty', DATABASE_URL: 'nope' })).toThrow(
      /FDT_API_PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*FDT_API_PORT/,
    );
  });

  it('gives the relay its documented defaults and reaches the api at its public URL', () => {
    const { relay } = loadPlatformConfig({ FDT_API_PUBLIC_URL: 'https://fdt.example.com/' });
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
    const { relay } = loadPlatformConfig({
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
    expect(() => loadPlatformConfig({ FDT_RELAY_TCP_PORTS: '20999-20000' })).toThrow(/FDT_RELAY_TCP_PORTS/);
    expect(() => loadPlatformConfig({ FDT_RELAY_TCP_PORTS: '20000' })).toThrow(/FDT_RELAY_TCP_PORTS/);
    expect(() => loadPlatformConfig({ FDT_RELAY_PUBLIC_HOST: 'https://relay.example.com' })).toThrow(
      /FDT_RELAY_PUBLIC_HOST/,
    );
  });

  it('forwards between relays exactly when the registry is shared, unless told otherwise', () => {
    expect(loadPlatformConfig({}).relay.peering).toEqual({
      enabled: false,
      port: 8444,
      host: undefined,
      routeTtlSeconds: 30,
    });
    expect(loadPlatformConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).relay.peering.enabled).toBe(true);
    const off = loadPlatformConfig({ REDIS_URL: 'redis://127.0.0.1:6379', FDT_RELAY_FORWARDING: 'false' });
    expect(off.relay.peering.enabled).toBe(false);
    expect(
      loadPlatformConfig({
        FDT_RELAY_FORWARDING: 'true',
        FDT_RELAY_PEER_PORT: '9444',
        FDT_RELAY_PEER_HOST: 'fd00::12',
        FDT_RELAY_ROUTE_TTL: '12',
      }).relay.peering,
    ).toEqual({ enabled: true, port: 9444, host: 'fd00::12', routeTtlSeconds: 12 });
    expect(loadPlatformConfig({ FDT_RELAY_PEER_HOST: '10.1.2.3' }).relay.peering.host).toBe('10.1.2.3');
    expect(() => loadPlatformConfig({ FDT_RELAY_PEER_HOST: 'tcp://10.1.2.3:8444' })).toThrow(
      /FDT_RELAY_PEER_HOST/,
    );
    expect(() => loadPlatformConfig({ FDT_RELAY_ROUTE_TTL: '1' })).toThrow(/FDT_RELAY_ROUTE_TTL/);
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
});
