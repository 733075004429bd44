import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, startHarness, uniqueEmail } from '../test/harness.js';

/** A sign-in attempt over a socket bound to `localAddress`, as a proxy at that address would send it. */
function login(
  h: Harness,
  email: string,
  opts: { forwardedFor?: string; localAddress?: string } = {},
): Promise<number> {
  const body = JSON.stringify({ email, password: 'wrong password' });
  return new Promise((resolve, reject) => {
    const req = request(
      `${h.api.url}/api/v1/auth/login`,
      {
        method: 'POST',
        localAddress: opts.localAddress ?? '127.0.0.1',
        headers: {
          'content-type': 'application/json',
          ...(opts.forwardedFor ? { 'x-forwarded-for': opts.forwardedFor } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const failedLoginIps = async (h: Harness, userId: string): Promise<string[]> =>
  (
    await h.ds.query(
      `SELECT ip FROM audit_events WHERE action = 'auth.login_failed' AND target_id = $1 ORDER BY id`,
      [userId],
    )
  ).map((r: { ip: string }) => r.ip);

describe('the client address: X-Forwarded-For only from FDT_TRUSTED_PROXIES', () => {
  describe('with no trusted proxies (the default)', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ FDT_LOGIN_IP_MAX_FAILURES: '3', FDT_RATE_LIMIT_PER_MINUTE: '20' });
    });
    afterAll(() => h?.close());

    it('a client that rotates X-Forwarded-For cannot dodge the per-IP sign-in lockout, and audit records its socket address', async () => {
      const owner = await h.signup();
      expect(await login(h, owner.email, { forwardedFor: '203.0.113.1' })).toBe(401);
      expect(await login(h, uniqueEmail('nobody'), { forwardedFor: '203.0.113.2' })).toBe(401);
      expect(await login(h, uniqueEmail('nobody'), { forwardedFor: '203.0.113.3' })).toBe(401);
      // A fourth address in the header, the same socket: the per-IP budget (3) is spent.
      expect(await login(h, uniqueEmail('nobody'), { forwardedFor: '203.0.113.4' })).toBe(429);

      expect(await failedLoginIps(h, owner.userId)).toEqual(['127.0.0.1']);
    });

    it('a client that rotates X-Forwarded-For cannot dodge the per-IP request budget', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await fetch(`${h.api.url}/api/v1/me`, {
          headers: { 'x-forwarded-for': `198.51.100.${i}` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toContain(429);
      expect(statuses.at(-1)).toBe(429);
    });
  });

  describe('behind a trusted proxy (FDT_TRUSTED_PROXIES=127.0.0.2)', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ FDT_LOGIN_IP_MAX_FAILURES: '2', FDT_TRUSTED_PROXIES: '127.0.0.2' });
    });
    afterAll(() => h?.close());

    it('counts and audits the forwarded address when the proxy sends it, and the socket address otherwise', async () => {
      const owner = await h.signup();
      const viaProxy = { localAddress: '127.0.0.2' };
      // Three different clients behind the proxy: none spends another's per-IP budget (2).
      expect(await login(h, owner.email, { ...viaProxy, forwardedFor: '203.0.113.10' })).toBe(401);
      expect(await login(h, uniqueEmail('nobody'), { ...viaProxy, forwardedFor: '203.0.113.11' })).toBe(401);
      expect(await login(h, uniqueEmail('nobody'), { ...viaProxy, forwardedFor: '203.0.113.12' })).toBe(401);
      // The proxy appends the address it saw: a header the client forged stays to the left, unused.
      expect(await login(h, owner.email, { ...viaProxy, forwardedFor: '192.0.2.66, 203.0.113.13' })).toBe(
        401,
      );

      // A client that reaches the api directly is not a proxy: its header is ignored.
      expect(await login(h, uniqueEmail('nobody'), { forwardedFor: '203.0.113.20' })).toBe(401);
      expect(await login(h, uniqueEmail('nobody'), { forwardedFor: '203.0.113.21' })).toBe(401);
      expect(await login(h, uniqueEmail('nobody'), { forwardedFor: '203.0.113.22' })).toBe(429);

      expect(await failedLoginIps(h, owner.userId)).toEqual(['203.0.113.10', '203.0.113.13']);
    });
  });
});
