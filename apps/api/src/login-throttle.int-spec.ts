import { afterEach, describe, expect, it } from '@jest/globals';
import { type Harness, PASSWORD, startHarness, uniqueEmail } from '../test/harness.js';

describe('sign-in throttle: attempts are counted atomically', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const login = (api: Harness, email: string, password = 'wrong password') =>
    api.client().post('/api/v1/auth/login', { email, password });
  const concurrently = async (n: number, attempt: () => Promise<{ status: number }>) => {
    const statuses = (await Promise.all(Array.from({ length: n }, attempt))).map((r) => r.status);
    return statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
  };

  it('20 concurrent wrong passwords for one account try at most 5 of them, then even the right one is refused', async () => {
    const api = (h = await startHarness({ FDT_LOGIN_MAX_FAILURES: '5' }));
    const { email } = await api.signup();
    expect(await concurrently(20, () => login(api, email))).toEqual({ 401: 5, 429: 15 });
    expect((await login(api, email, PASSWORD)).status).toBe(429);
  });

  it('20 concurrent wrong sign-ins from one address, each to another account, try at most the per-IP limit', async () => {
    const api = (h = await startHarness({ FDT_LOGIN_IP_MAX_FAILURES: '8' }));
    expect(await concurrently(20, () => login(api, uniqueEmail('nobody')))).toEqual({ 401: 8, 429: 12 });
  });
});
