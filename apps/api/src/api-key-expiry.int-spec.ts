import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

describe('API keys with an expiry', () => {
  let h: Harness;
  let owner: TestClient;

  beforeAll(async () => {
    h = await startHarness();
    ({ client: owner } = await h.signup());
  });
  afterAll(() => h?.close());

  it('works until expiresAt, then answers 401 api_key_expired', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const made = await owner.post('/api/v1/api-keys', { name: 'short-lived', role: 'viewer', expiresAt });
    expect(made.status).toBe(201);
    expect(made.body.expiresAt).toBe(expiresAt);
    expect((await h.client().get('/api/v1/me', { bearer: made.body.key })).status).toBe(200);
    await sleep(1700);
    const late = await h.client().get('/api/v1/me', { bearer: made.body.key });
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('api_key_expired');
  });

  it('refuses an expiry in the past, beyond ten years, malformed, or given twice', async () => {
    const past = await owner.post('/api/v1/api-keys', {
      name: 'x',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect([past.status, past.body.code]).toEqual([400, 'api_key_expiry_invalid']);
    const far = await owner.post('/api/v1/api-keys', { name: 'x', expiresAt: '2099-01-01T00:00:00Z' });
    expect(far.body.code).toBe('api_key_expiry_invalid');
    expect((await owner.post('/api/v1/api-keys', { name: 'x', expiresAt: 'tomorrow' })).body.code).toBe(
      'validation_failed',
    );
    const both = await owner.post('/api/v1/api-keys', {
      name: 'x',
      expiresInDays: 1,
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(both.body.code).toBe('api_key_expiry_invalid');
  });
});
