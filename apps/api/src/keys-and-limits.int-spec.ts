import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { AGENT_SESSION_AUDIENCE } from '@fdt/protocol';
import { loadPlatformConfig } from '@fdt/server-core';
import { TestClient, testEnv, TEST_REDIS_URL } from '@fdt/testing';
import { startApi, type RunningApi } from './bootstrap.js';
import { type Harness, startHarness } from '../test/harness.js';

describe('signing-key rotation without downtime', () => {
  let h: Harness;
  let replica: RunningApi;
  beforeAll(async () => {
    h = await startHarness({ FDT_SIGNING_KEY_ROTATE_AFTER: '1' });
    // A second api replica on the same database and Redis.
    replica = await startApi(
      loadPlatformConfig(
        testEnv(h.db.url, {
          REDIS_URL: TEST_REDIS_URL,
          FDT_PORTS_NAMESPACE: h.db.name,
          FDT_SIGNING_KEY_ROTATE_AFTER: '1',
        }),
      ),
    );
  });
  afterAll(async () => {
    await replica?.app.close();
    await h?.close();
  });

  it('keeps tokens signed by a retired key valid while new ones use the new key, across replicas', async () => {
    const { client: owner } = await h.signup();
    const beat = {
      name: 'r1',
      region: 'eu',
      publicHost: 'r1.test',
      agentPort: 4443,
      agentTls: false,
      httpPort: 8080,
      httpsPort: 8443,
      capacity: 10,
      load: 0,
    };
    await h.client().post('/api/v1/relays/heartbeat', beat, { bearer: h.config.relay.secret });
    const at = (await owner.post('/api/v1/authtokens', {})).body.token;
    const first = (await h.client().post('/api/v1/agent/sessions', {}, { bearer: at })).body.token;
    const oldAccess = owner.bearer as string;

    await new Promise((r) => setTimeout(r, 1200)); // the first key's signing period ends
    const second = (await h.client().post('/api/v1/agent/sessions', {}, { bearer: at })).body.token;
    const kid1 = decodeProtectedHeader(first).kid;
    const kid2 = decodeProtectedHeader(second).kid;
    expect(kid2).not.toBe(kid1);

    for (const base of [h.api.url, replica.url]) {
      const jwks = createRemoteJWKSet(new URL(`${base}/api/v1/.well-known/jwks.json`));
      for (const token of [first, second]) {
        await expect(jwtVerify(token, jwks, { audience: AGENT_SESSION_AUDIENCE })).resolves.toBeTruthy();
      }
      // The access token minted before rotation still works, on either replica.
      expect((await new TestClient(base).get('/api/v1/me', { bearer: oldAccess })).status).toBe(200);
    }
  });
});

describe('REST rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ FDT_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => h?.close());

  it('answers 429 with Retry-After past the per-IP budget, and never limits the probes', async () => {
    const c = h.client();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await c.get('/api/v1/.well-known/jwks.json');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(last?.body.code).toBe('rate_limited');
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('ratelimit-limit')).toBe('5');
    expect((await c.get('/healthz')).status).toBe(200);
    expect((await fetch(h.api.metricsUrl)).status).toBe(200);
  });
});
