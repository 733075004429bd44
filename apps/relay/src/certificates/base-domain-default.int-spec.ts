import { randomBytes, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisPubSub } from '@fdt/ports';
import { CERTIFICATE_CHANGED_CHANNEL, type CertificateChangedMessage } from '@fdt/protocol';
import { deleteRedisKeys, selfSignedCertificate, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { type Edge, type SharedApi, startEdge, startSharedApi } from '../testing/harness.js';

// FDT_BASE_DOMAIN_CERT=acme at the relay: the platform's *.<base> + <base> certificate, once
// loaded from the api, is the default (no SNI, the apex, any <name>.<base>); removed, the dev CA again.

const BASE = 'tunnels.test';
const NAMES: (string | undefined)[] = [undefined, BASE, `app.${BASE}`];

/** Serial of the certificate a new TLS handshake gets (SNI `servername`, none when undefined). */
function servedSerial(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()?.serialNumber ?? '');
      s.end();
    });
    s.on('error', reject);
  });
}

async function untilServed(port: number, servername: string | undefined, serial: string): Promise<void> {
  const until = Date.now() + 5000;
  while ((await servedSerial(port, servername).catch(() => '')) !== serial) {
    if (Date.now() > until) throw new Error(`${servername ?? 'no SNI'} is not served certificate ${serial}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A self-signed *.<base> + <base> pair, standing in for the worker's ACME certificate. */
const platformPair = () => selfSignedCertificate([`*.${BASE}`, BASE], 2);

async function startRelayWith(shared: SharedApi, namespace: string, mode: 'acme' | 'static'): Promise<Edge> {
  return startEdge(
    testEnv('postgres://unused@127.0.0.1:1/unused'),
    {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: namespace,
      FDT_RELAY_FORWARDING: 'false',
      FDT_BASE_DOMAIN: BASE,
      FDT_BASE_DOMAIN_CERT: mode,
    },
    shared,
  );
}

describe('the platform certificate as the relay default (FDT_BASE_DOMAIN_CERT)', () => {
  let shared: SharedApi;
  let acme: Edge;
  let fixed: Edge;
  let pubsub: RedisPubSub;
  const namespace = `basedefault_${randomBytes(4).toString('hex')}`;
  const pair = platformPair();
  const serial = new X509Certificate(pair.certPem).serialNumber;

  beforeAll(async () => {
    shared = await startSharedApi();
    acme = await startRelayWith(shared, namespace, 'acme');
    fixed = await startRelayWith(shared, namespace, 'static');
    pubsub = new RedisPubSub({ redis: TEST_REDIS_URL, namespace });
  });

  afterAll(async () => {
    await pubsub?.close();
    await acme?.close();
    await fixed?.close();
    await shared?.api.close();
    await deleteRedisKeys([namespace]);
  });

  it('serves *.<base> without SNI, for the apex and for <name>.<base> once loaded, and the dev CA again once removed', async () => {
    const devSerial = await servedSerial(acme.relay.ports.https, undefined);
    expect(devSerial).not.toBe(serial);
    shared.api.certificates = [
      {
        hostname: `*.${BASE}`,
        hostnames: [`*.${BASE}`, BASE],
        ...pair,
        notAfter: new Date(Date.now() + 86400_000).toISOString(),
      },
    ];
    await pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, {
      hostname: `*.${BASE}`,
      removed: false,
    } satisfies CertificateChangedMessage);
    for (const name of NAMES) await untilServed(acme.relay.ports.https, name, serial);

    shared.api.certificates = [];
    await pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, {
      hostname: `*.${BASE}`,
      removed: true,
    } satisfies CertificateChangedMessage);
    for (const name of NAMES) await untilServed(acme.relay.ports.https, name, devSerial);
  });

  it('with FDT_BASE_DOMAIN_CERT=static a *.<base> certificate does not replace the default for clients without SNI', async () => {
    const devSerial = await servedSerial(fixed.relay.ports.https, undefined);
    shared.api.certificates = [
      {
        hostname: `*.${BASE}`,
        hostnames: [`*.${BASE}`, BASE],
        ...pair,
        notAfter: new Date(Date.now() + 86400_000).toISOString(),
      },
    ];
    await pubsub.publish(CERTIFICATE_CHANGED_CHANNEL, {
      hostname: `*.${BASE}`,
      removed: false,
    } satisfies CertificateChangedMessage);
    // Loaded (served by SNI through the wildcard), yet not the default.
    await untilServed(fixed.relay.ports.https, `app.${BASE}`, serial);
    expect(await servedSerial(fixed.relay.ports.https, undefined)).toBe(devSerial);
  });
});
