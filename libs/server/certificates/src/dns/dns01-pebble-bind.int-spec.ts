import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryKeyValueStore } from '@fdt/ports';
import { dataSourceOptions, loadPlatformConfig, migrate } from '@fdt/server-core';
import {
  type Bind9,
  createTestDatabase,
  type Pebble,
  startBind9,
  startPebble,
  type TestDatabase,
  testEnv,
} from '@fdt/testing';
import { DataSource } from 'typeorm';
import { AcmeAccountsService } from '../acme/acme-accounts.service.js';
import { AcmeOrdersService } from '../acme/acme-orders.service.js';
import { ChallengeAnswers } from '../acme/challenge-answers.js';
import { AcmeAccount, CERTIFICATES_ENTITIES } from '../entities/index.js';
import { createDnsProvider } from './dns-provider.factory.js';

// The whole DNS-01 path on real peers: the ACME order flow asks the configured provider
// (FDT_DNS_PROVIDER=rfc2136) to publish the TXT record in BIND 9 by a TSIG-signed update;
// pebble's validator, resolving through that BIND, finds it and issues a wildcard.

let bind: Bind9;
let pebble: Pebble;
let db: TestDatabase;
let ds: DataSource;
let orders: AcmeOrdersService;

beforeAll(async () => {
  bind = await startBind9({ zones: ['customer.test'] });
  pebble = await startPebble({ dnsServer: bind.address });
  db = await createTestDatabase();
  const config = loadPlatformConfig(
    testEnv(db.url, {
      FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
      FDT_ACME_CA_FILE: pebble.caFile,
      FDT_DNS_PROVIDER: 'rfc2136',
      FDT_DNS_RFC2136_SERVER: bind.address,
      FDT_DNS_RFC2136_ZONE: 'customer.test',
      FDT_DNS_RFC2136_TSIG_NAME: bind.keyName,
      FDT_DNS_RFC2136_TSIG_SECRET: bind.keySecret,
    }),
  );
  ds = await new DataSource(dataSourceOptions(config, CERTIFICATES_ENTITIES)).initialize();
  await migrate(ds);
  const answers = new ChallengeAnswers(new MemoryKeyValueStore(), createDnsProvider(config.dns));
  orders = new AcmeOrdersService(new AcmeAccountsService(config, ds.getRepository(AcmeAccount)), answers);
}, 60_000);

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
  await pebble?.stop();
  await bind?.stop();
});

/** The PEM blocks of a chain, leaf first. */
const pems = (chain: string) =>
  chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

describe('DNS-01 through BIND 9 (RFC 2136) with pebble', () => {
  it('issues *.apps.customer.test + apps.customer.test, chaining to pebble’s root, and leaves no TXT record behind', async () => {
    const issued = await orders.issue(['*.apps.customer.test', 'apps.customer.test'], 'dns-01');

    const chain = pems(issued.certPem).map((p) => new X509Certificate(p));
    expect(chain.length).toBeGreaterThanOrEqual(2);
    const [leaf, ...intermediates] = chain;
    expect(leaf.subjectAltName).toContain('DNS:*.apps.customer.test');
    expect(leaf.subjectAltName).toContain('DNS:apps.customer.test');
    expect(leaf.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
    const root = new X509Certificate(await pebble.roots());
    let child = leaf;
    for (const next of intermediates) {
      expect(child.verify(next.publicKey)).toBe(true);
      child = next;
    }
    expect(child.verify(root.publicKey)).toBe(true);

    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([bind.address]);
    await expect(resolver.resolveTxt('_acme-challenge.apps.customer.test')).rejects.toBeDefined();
  }, 60_000);

  it('fails the order clearly when the TSIG key is wrong (nothing is published)', async () => {
    const config = loadPlatformConfig(
      testEnv(db.url, {
        FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
        FDT_ACME_CA_FILE: pebble.caFile,
        FDT_DNS_PROVIDER: 'rfc2136',
        FDT_DNS_RFC2136_SERVER: bind.address,
        FDT_DNS_RFC2136_ZONE: 'customer.test',
        FDT_DNS_RFC2136_TSIG_NAME: bind.keyName,
        FDT_DNS_RFC2136_TSIG_SECRET: Buffer.alloc(32, 3).toString('base64'),
      }),
    );
    const wrongKey = new AcmeOrdersService(
      new AcmeAccountsService(config, ds.getRepository(AcmeAccount)),
      new ChallengeAnswers(new MemoryKeyValueStore(), createDnsProvider(config.dns)),
    );
    await expect(wrongKey.issue(['*.apps.customer.test'], 'dns-01')).rejects.toMatchObject({
      code: 'dns_tsig_rejected',
    });
  }, 60_000);
});
