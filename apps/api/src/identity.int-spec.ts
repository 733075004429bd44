import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { type Harness, PASSWORD, startHarness, uniqueEmail } from '../test/harness.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('identity: RBAC, sessions, API keys, lockout', () => {
  let h: Harness;
  let owner: { client: TestClient; orgId: string; userId: string; email: string };

  beforeAll(async () => {
    h = await startHarness();
    owner = await h.signup();
  });
  afterAll(() => h?.close());

  // The RBAC matrix: every guarded route x every role. Y = allowed, N = 403.
  //                                                              owner admin member viewer billing
  const matrix: [string, string, (() => unknown) | undefined, string][] = [
    ['GET', '/api/v1/me', undefined, 'YYYYY'],
    ['GET', '/api/v1/members', undefined, 'YYYYN'],
    ['POST', '/api/v1/members/invitations', () => ({ email: uniqueEmail('m'), role: 'viewer' }), 'YYNNN'],
    ['GET', '/api/v1/api-keys', undefined, 'YYYNN'],
    ['POST', '/api/v1/api-keys', () => ({ name: 'k', role: 'viewer' }), 'YYYNN'],
    ['GET', '/api/v1/authtokens', undefined, 'YYYNN'],
    ['POST', '/api/v1/authtokens', () => ({ description: 'ci' }), 'YYYNN'],
    ['GET', '/api/v1/tunnels', undefined, 'YYYYN'],
    ['GET', '/api/v1/reserved-names', undefined, 'YYYYN'],
    [
      'POST',
      '/api/v1/reserved-names',
      () => ({ name: `n${Math.random().toString(36).slice(2, 10)}` }),
      'YYNNN',
    ],
    ['GET', '/api/v1/reserved-addresses', undefined, 'YYYYN'],
    ['GET', '/api/v1/relays', undefined, 'YYNNN'],
    ['GET', '/api/v1/audit', undefined, 'YYNNN'],
    ['GET', '/api/v1/audit/integrity', undefined, 'YYNNN'],
  ];
  const roles = ['owner', 'admin', 'member', 'viewer', 'billing'] as const;

  it('enforces the RBAC matrix on every guarded route', async () => {
    const clients: Record<string, TestClient> = { owner: owner.client };
    for (const role of roles.slice(1)) clients[role] = (await h.member(owner.client, role)).client;
    const failures: string[] = [];
    for (const [method, path, body, allowed] of matrix) {
      for (const [i, role] of roles.entries()) {
        const res = await clients[role].request(method, path, body ? { json: body() } : {});
        const want = allowed[i] === 'Y';
        const ok = want
          ? res.status >= 200 && res.status < 300
          : res.status === 403 && res.body.code === 'forbidden';
        if (!ok)
          failures.push(
            `${role} ${method} ${path}: got ${res.status} ${res.body?.code ?? ''}, want ${want ? '2xx' : '403'}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 problem+json without credentials or with a forged token', async () => {
    const anon = h.client();
    const none = await anon.get('/api/v1/me');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthenticated');
    const forged = await anon.get('/api/v1/me', { bearer: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('token_invalid');
  });

  it('protects the last owner and lets only owners touch owners', async () => {
    const { client: o, userId } = await h.signup();
    expect((await o.patch(`/api/v1/members/${userId}`, { role: 'admin' })).body.code).toBe('last_owner');
    expect((await o.delete(`/api/v1/members/${userId}`)).status).toBe(409);

    const admin = await h.member(o, 'admin');
    const byAdmin = await admin.client.patch(`/api/v1/members/${userId}`, { role: 'member' });
    expect(byAdmin.status).toBe(403);
    expect(
      (await admin.client.post('/api/v1/members', { email: uniqueEmail(), role: 'owner' })).body.code,
    ).toBe('role_not_allowed');

    const second = await h.member(o, 'owner');
    expect((await o.patch(`/api/v1/members/${userId}`, { role: 'admin' })).status).toBe(200);
    // Now `second` is the only owner: it cannot leave.
    expect((await second.client.delete(`/api/v1/members/${second.userId}`)).body.code).toBe('last_owner');
    const members = await second.client.get('/api/v1/members');
    expect(members.body.items.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
  });

  it('rotates refresh tokens and revokes the whole family when a rotated one is reused', async () => {
    const c = h.client();
    const email = (await h.member(owner.client, 'member')).email;
    const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    const rt1 = c.cookie('fdt_refresh');
    expect(rt1).toMatch(/^fdt_rt_/);
    expect(login.headers.getSetCookie().join(';')).toMatch(/HttpOnly/i);

    const r2 = await c.post('/api/v1/auth/refresh');
    expect(r2.status).toBe(200);
    const rt2 = c.cookie('fdt_refresh');
    expect(rt2).not.toBe(rt1);
    const access2 = r2.body.accessToken;
    expect((await c.get('/api/v1/me', { bearer: access2 })).status).toBe(200);

    // An attacker replays the first (already rotated) token.
    const thief = h.client();
    thief.setCookie('fdt_refresh', rt1 as string);
    const replay = await thief.post('/api/v1/auth/refresh');
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('refresh_token_reused');

    // The legitimate holder's newer token and access token die with the family.
    expect((await c.post('/api/v1/auth/refresh')).status).toBe(401);
    const me = await c.get('/api/v1/me', { bearer: access2 });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('session_revoked');
  });

  it('ends the session on logout', async () => {
    const m = await h.member(owner.client, 'viewer');
    expect((await m.client.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await m.client.get('/api/v1/me')).status).toBe(401);
  });

  it('stores API keys only as hashes, shows them once, and honours revocation', async () => {
    const created = await owner.client.post('/api/v1/api-keys', { name: 'deploy bot', role: 'viewer' });
    expect(created.status).toBe(201);
    const secret: string = created.body.key;
    expect(secret).toMatch(/^fdt_ak_/);
    const rows = await h.ds.query('SELECT * FROM api_keys WHERE id = $1', [created.body.id]);
    expect(rows[0].key_hash).toBe(sha256(secret));
    expect(JSON.stringify(rows)).not.toContain(secret);
    const audit = await h.ds.query('SELECT summary::text AS s FROM audit_events');
    expect(audit.map((r: { s: string }) => r.s).join()).not.toContain(secret);
    const list = await owner.client.get('/api/v1/api-keys');
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const me = await h.client().get('/api/v1/me', { bearer: secret });
    expect(me.body).toMatchObject({ role: 'viewer', via: 'api_key' });
    expect((await h.client().get('/api/v1/members', { bearer: secret })).status).toBe(200);
    expect((await h.client().post('/api/v1/authtokens', {}, { bearer: secret })).status).toBe(403);
    const [used] = await h.ds.query('SELECT last_used_at FROM api_keys WHERE id = $1', [created.body.id]);
    expect(used.last_used_at).not.toBeNull();

    // A key can never carry more access than its creator.
    const member = await h.member(owner.client, 'member');
    expect((await member.client.post('/api/v1/api-keys', { name: 'x', role: 'admin' })).body.code).toBe(
      'role_not_allowed',
    );

    expect((await owner.client.delete(`/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await h.client().get('/api/v1/me', { bearer: secret })).status).toBe(401);
  });

  it("caps an API key at its creator's current role: a demotion takes its keys down with it", async () => {
    const admin = await h.member(owner.client, 'admin');
    const adminKey = await admin.client.post('/api/v1/api-keys', { name: 'ops', role: 'admin' });
    const billingKey = await admin.client.post('/api/v1/api-keys', { name: 'invoices', role: 'billing' });
    expect(adminKey.status).toBe(201);
    const asKey = (key: string) => ({ bearer: key });
    const addViewer = async (key: string) =>
      (
        await h
          .client()
          .post('/api/v1/members/invitations', { email: uniqueEmail('capped'), role: 'viewer' }, asKey(key))
      ).status;
    expect((await h.client().get('/api/v1/me', asKey(adminKey.body.key))).body.role).toBe('admin');
    expect(await addViewer(adminKey.body.key)).toBe(201);

    expect((await owner.client.patch(`/api/v1/members/${admin.userId}`, { role: 'member' })).status).toBe(
      200,
    );
    // The admin key now acts as a member: no more managing members.
    expect((await h.client().get('/api/v1/me', asKey(adminKey.body.key))).body.role).toBe('member');
    expect(await addViewer(adminKey.body.key)).toBe(403);
    // A billing key beside the ladder cannot be capped to a member: it stops working.
    const refused = await h.client().get('/api/v1/me', asKey(billingKey.body.key));
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/no longer holds the role/);
  });

  it('locks an account after repeated failures with 429 and Retry-After, without locking others', async () => {
    const victim = await h.member(owner.client, 'member');
    const attacker = h.client();
    for (let i = 0; i < h.config.auth.loginMaxFailures; i++) {
      const r = await attacker.post('/api/v1/auth/login', {
        email: victim.email,
        password: 'wrong password',
      });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('invalid_credentials');
    }
    const locked = await attacker.post('/api/v1/auth/login', { email: victim.email, password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('login_locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);

    const other = await h.member(owner.client, 'viewer');
    expect(
      (await h.client().post('/api/v1/auth/login', { email: other.email, password: PASSWORD })).status,
    ).toBe(200);
  });

  it('rejects bad input with 4xx problem+json and writes nothing', async () => {
    const count = async () =>
      (
        await h.ds.query(
          'SELECT (SELECT count(*) FROM memberships) + (SELECT count(*) FROM audit_events) AS n',
        )
      )[0].n;
    const before = await count();
    const cases = [
      { json: { email: uniqueEmail(), role: 'viewer', isAdmin: true }, code: 'validation_failed' },
      { json: { email: uniqueEmail(), role: 5 }, code: 'validation_failed' },
      { json: { email: 'not-an-email', role: 'viewer' }, code: 'validation_failed' },
      { json: ['an', 'array'], code: 'validation_failed' },
    ];
    for (const c of cases) {
      const r = await owner.client.post('/api/v1/members', c.json);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.code).toBe(c.code);
    }
    const malformed = await owner.client.request('POST', '/api/v1/members', {
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.body.code).toBe('malformed_json');
    const huge = await owner.client.post('/api/v1/members', {
      email: uniqueEmail(),
      role: 'viewer',
      name: 'x'.repeat(300_000),
    });
    expect(huge.status).toBe(413);
    const badId = await owner.client.patch('/api/v1/members/not-a-uuid', { role: 'viewer' });
    expect(badId.status).toBe(400);
    expect(await count()).toBe(before);
  });
});
