import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MONITORED_PREFIXES, undeclaredMonitoredMetrics } from '@fdt/testing';
import { type Harness, PASSWORD, startHarness } from '../test/harness.js';

const failures = async (api: Harness, reason: string): Promise<number> => {
  const text = await (await fetch(api.api.metricsUrl)).text();
  const m = new RegExp(`^fdt_auth_login_failures_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

// The series of the LoginFailureSpike alert (monitoring/prometheus/rules).
describe('fdt_auth_login_failures_total', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ FDT_LOGIN_MAX_FAILURES: '2' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('counts wrong passwords as invalid_credentials and throttled attempts as locked, not successes', async () => {
    const { email } = await h.signup();
    const login = (password: string) => h.client().post('/api/v1/auth/login', { email, password });
    const invalid = await failures(h, 'invalid_credentials');
    const locked = await failures(h, 'locked');

    expect((await login(PASSWORD)).status).toBe(200);
    expect(await failures(h, 'invalid_credentials')).toBe(invalid);

    expect((await login('wrong password')).status).toBe(401);
    expect((await login('wrong password')).status).toBe(401);
    expect((await login('wrong password')).status).toBe(429);
    expect(await failures(h, 'invalid_credentials')).toBe(invalid + 2);
    expect(await failures(h, 'locked')).toBe(locked + 1);
  });

  // Here because this file starts an api: the check covers every api series the rules read.
  it('the api declares every series the monitoring rules and dashboard read from it (scraped)', async () => {
    const text = await (await fetch(h.api.metricsUrl)).text();
    expect(undeclaredMonitoredMetrics(text, MONITORED_PREFIXES.api)).toEqual([]);
  });
});
