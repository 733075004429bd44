import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { TestOidcProvider } from '@fdt/testing/oidc-provider';
import { type SsoHarness, startSsoHarness } from '../test/sso/sso-fixtures.js';

describe('OIDC issuers: https and public addresses only, unless FDT_SSO_ALLOW_INSECURE_ISSUERS', () => {
  let h: SsoHarness;
  let op: TestOidcProvider;
  let owner: TestClient;
  // Stands in for an internal service: counts who connects.
  let internal: net.Server;
  let connections = 0;

  beforeAll(async () => {
    // As in production: the flag is off (NODE_ENV=test, not development).
    h = await startSsoHarness({ FDT_SSO_ALLOW_INSECURE_ISSUERS: 'false' });
    op = await TestOidcProvider.start();
    ({ client: owner } = await h.signup());
    internal = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await h?.close();
    await op?.close();
    internal?.close();
  });

  const connect = (issuer: string) =>
    owner.post('/api/v1/sso/connections', {
      protocol: 'oidc',
      name: 'Internal',
      oidc: { issuer, clientId: op.clientId, clientSecret: op.clientSecret },
    });
  const port = () => (internal.address() as net.AddressInfo).port;

  it('refuses an http issuer', async () => {
    const res = await connect(op.issuer);
    expect(op.issuer).toMatch(/^http:/);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/issuer must be an https URL/);
  });

  it.each([
    ['a loopback address', () => `https://127.0.0.1:${port()}`, /127\.0\.0\.1 is not a public address/],
    [
      'the cloud metadata address',
      () => 'https://169.254.169.254/latest',
      /169\.254\.169\.254 is not a public address/,
    ],
    ['a private address', () => 'https://10.1.2.3', /10\.1\.2\.3 is not a public address/],
    [
      'a name that resolves to loopback',
      () => `https://localhost:${port()}`,
      /localhost \((127\.0\.0\.1|::1)\) is not a public address/,
    ],
  ])('refuses an issuer on %s without calling it', async (_what, issuer, message) => {
    const res = await connect(issuer());
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('sso_oidc_discovery_failed');
    expect(res.body.detail).toMatch(message);
    expect((await owner.get('/api/v1/sso/connections')).body.items).toEqual([]);
    expect(connections).toBe(0);
  });
});
