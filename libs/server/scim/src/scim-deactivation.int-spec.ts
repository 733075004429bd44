import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashPassword } from '@fdt/identity';
import { type AuthtokenRevokedMessage, ControlChannel } from '@fdt/protocol';
import {
  type Owner,
  PASSWORD,
  type ScimClient,
  type ScimHarness,
  startScimHarness,
} from '../test/scim-harness.js';

// Deprovisioning: a SCIM deactivation or deletion ends the member's access in the same
// request (sessions, API keys, agent authtokens with `fdt.authtoken.revoked` for relays), the
// guard refuses them on the very next request, and reactivation restores only the membership.

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

describe('SCIM deactivation and deletion', () => {
  // Arranges a person who proved their address and accepted a second org's invitation
  // (see the api's account-ownership tests for that flow itself).
  const joinedElsewhere = async (userId: string, orgId: string) => {
    await h.ds.query(`UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE id = $1`, [
      userId,
    ]);
    await h.ds.query(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'member')`, [
      orgId,
      userId,
    ]);
  };

  let h: ScimHarness;
  let owner: Owner;
  let scim: ScimClient;
  let scimTokenId: string;
  const revoked: AuthtokenRevokedMessage[] = [];
  let unsubscribe: () => Promise<void>;

  beforeAll(async () => {
    h = await startScimHarness();
    owner = await h.signup();
    ({ client: scim, id: scimTokenId } = await h.scim(owner.client));
    unsubscribe = await h.pubsub.subscribe<AuthtokenRevokedMessage>(ControlChannel.AuthtokenRevoked, (m) => {
      revoked.push(m);
    });
  });
  afterAll(async () => {
    await unsubscribe?.();
    await h?.close();
  });

  /** A member with a live session, an API key and two authtokens (one in another org, untouched). */
  async function armedMember(role = 'admin') {
    const m = await h.member(owner.client, role);
    const apiKey = (await m.client.post('/api/v1/api-keys', { name: 'ci', role: 'member' })).body
      .key as string;
    const t1 = (await m.client.post('/api/v1/authtokens', { description: 'laptop' })).body;
    const t2 = (await m.client.post('/api/v1/authtokens', { description: 'ci' })).body;
    expect((await h.client().get('/api/v1/me', { bearer: apiKey })).status).toBe(200);
    expect((await m.client.get('/api/v1/me')).status).toBe(200);
    return { ...m, apiKey, authtokens: [t1, t2] as { id: string; token: string }[] };
  }

  const waitForRevoked = async (ids: string[]) => {
    for (let i = 0; i < 100 && !ids.every((id) => revoked.some((r) => r.authtokenId === id)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return revoked.filter((r) => ids.includes(r.authtokenId));
  };

  for (const [how, deactivate] of [
    [
      'PATCH replace without a path (Okta)',
      (id: string) => scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })),
    ],
    [
      'PATCH Replace active "False" (Entra)',
      (id: string) => scim.patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' })),
    ],
    [
      'PUT with active: false',
      async (id: string) => {
        const current = (await scim.get(`/Users/${id}`)).body;
        return scim.put(`/Users/${id}`, { ...current, active: false });
      },
    ],
  ] as const) {
    it(`deactivation by ${how} ends the session, API key and authtokens on the very next request`, async () => {
      const m = await armedMember();
      const res = await deactivate(m.userId);
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);

      // the admin session (access token) and the API key: 401 on the very next request
      const me = await m.client.get('/api/v1/me');
      expect([me.status, me.body.code]).toEqual([401, 'session_revoked']);
      const key = await h.client().get('/api/v1/me', { bearer: m.apiKey });
      expect([key.status, key.body.code]).toEqual([401, 'token_invalid']);
      // the refresh cookie no longer renews the session, and the password no longer signs in
      expect((await m.client.post('/api/v1/auth/refresh')).status).toBe(401);
      expect(
        (await h.client().post('/api/v1/auth/login', { email: m.email, password: PASSWORD })).status,
      ).toBe(401);
      // the authtokens can no longer be exchanged for agent sessions...
      for (const t of m.authtokens) {
        const ex = await h.client().post('/api/v1/agent/sessions', {}, { bearer: t.token });
        expect([ex.status, ex.body.code]).toEqual([401, 'auth_failed']);
      }
      // ...and relays were told to disconnect the agents using them
      const msgs = await waitForRevoked(m.authtokens.map((t) => t.id));
      expect(msgs.map((x) => x.authtokenId).sort()).toEqual(m.authtokens.map((t) => t.id).sort());
      expect(msgs.every((x) => x.orgId === owner.orgId)).toBe(true);

      const rows = await h.ds.query(
        `SELECT (SELECT count(*)::int FROM sessions WHERE user_id = $1 AND org_id = $2 AND revoked_at IS NULL) AS sessions,
                (SELECT count(*)::int FROM api_keys WHERE user_id = $1 AND org_id = $2 AND revoked_at IS NULL) AS keys,
                (SELECT count(*)::int FROM authtokens WHERE user_id = $1 AND org_id = $2 AND revoked_at IS NULL) AS tokens`,
        [m.userId, owner.orgId],
      );
      expect(rows[0]).toEqual({ sessions: 0, keys: 0, tokens: 0 });
      // the admin's member list says so
      const list = await owner.client.get('/api/v1/members');
      const row = list.body.items.find((x: { userId: string }) => x.userId === m.userId);
      expect(row.deactivatedAt).toEqual(expect.any(String));
      const ownerRow = list.body.items.find((x: { userId: string }) => x.userId === owner.userId);
      expect(ownerRow.deactivatedAt).toBeNull();
    });
  }

  it('audits the deactivation with the SCIM token as actor', async () => {
    const m = await armedMember('member');
    await scim.patch(`/Users/${m.userId}`, patchOp({ op: 'replace', path: 'active', value: false }));
    const events = await h.ds.query(
      `SELECT action, actor_type, actor_id, summary FROM audit_events WHERE org_id = $1 AND target_id IN ($2, $3, $4) AND actor_type = 'scim' ORDER BY seq`,
      [owner.orgId, m.userId, m.authtokens[0].id, m.authtokens[1].id],
    );
    expect(events.map((e: { action: string }) => e.action)).toEqual([
      'member.deactivated',
      'authtoken.revoked',
      'authtoken.revoked',
      'scim.user.updated',
    ]);
    expect(events.every((e: { actor_id: string }) => e.actor_id === scimTokenId)).toBe(true);
    expect(events[0].summary).toMatchObject({
      sessionsRevoked: 1,
      apiKeysRevoked: 1,
      reason: 'scim_deactivated',
    });
    expect(events[3].summary).toMatchObject({ changed: ['active'], active: false, authtokensRevoked: 2 });
    const integrity = await owner.client.get('/api/v1/audit/integrity');
    expect([integrity.status, integrity.body.ok]).toEqual([200, true]);
  });

  it('reactivation restores the membership (sign-in works again) but not the revoked credentials', async () => {
    const m = await armedMember('member');
    await scim.patch(`/Users/${m.userId}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
    const back = await scim.patch(
      `/Users/${m.userId}`,
      patchOp({ op: 'Replace', path: 'active', value: 'True' }),
    );
    expect(back.body.active).toBe(true);
    expect((await m.client.get('/api/v1/me')).status).toBe(401);
    expect((await h.client().get('/api/v1/me', { bearer: m.apiKey })).status).toBe(401);
    const ex = await h.client().post('/api/v1/agent/sessions', {}, { bearer: m.authtokens[0].token });
    expect(ex.status).toBe(401);
    const login = await h.client().post('/api/v1/auth/login', { email: m.email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.role).toBe('member');
    const audit = await h.ds.query(
      `SELECT action FROM audit_events WHERE org_id = $1 AND target_id = $2 AND action LIKE 'member.%' ORDER BY seq`,
      [owner.orgId, m.userId],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'member.invited',
      'member.added',
      'member.invitation_accepted',
      'member.deactivated',
      'member.reactivated',
    ]);
  });

  it('a user provisioned inactive cannot sign in to the org (but can to another org of theirs)', async () => {
    const email = `inactive-${Date.now()}@example.test`;
    const made = await scim.post('/Users', { schemas: [USER], userName: email, active: false });
    expect(made.body.active).toBe(false);
    // the same account is a member of another org and has a password there
    const other = await h.signup();
    await joinedElsewhere(made.body.id, other.orgId);
    await h.ds.query('UPDATE users SET password_hash = $1 WHERE id = $2', [
      await hashPassword(PASSWORD),
      made.body.id,
    ]);
    const here = await h.client().post('/api/v1/auth/login', { email, password: PASSWORD, org: owner.orgId });
    expect(here.status).toBe(401);
    const there = await h
      .client()
      .post('/api/v1/auth/login', { email, password: PASSWORD, org: other.orgId });
    expect([there.status, there.body.org?.id]).toEqual([200, other.orgId]);
  });

  it('DELETE removes the membership and ends every credential in the org, but not in other orgs', async () => {
    const m = await armedMember();
    // the same person is also a member of another org, with their own key there
    const other = await h.signup();
    await joinedElsewhere(m.userId, other.orgId);
    const elsewhere = h.client();
    const login = await elsewhere.post('/api/v1/auth/login', {
      email: m.email,
      password: PASSWORD,
      org: other.orgId,
    });
    expect(login.status).toBe(200);
    elsewhere.bearer = login.body.accessToken;
    const groups = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: `Del ${Date.now()}`,
      members: [{ value: m.userId }],
    });

    expect((await scim.delete(`/Users/${m.userId}`)).status).toBe(204);
    expect((await m.client.get('/api/v1/me')).status).toBe(401);
    expect((await h.client().get('/api/v1/me', { bearer: m.apiKey })).status).toBe(401);
    expect((await waitForRevoked(m.authtokens.map((t) => t.id))).length).toBe(2);
    expect((await scim.get(`/Users/${m.userId}`)).status).toBe(404);
    expect((await scim.get(`/Groups/${groups.body.id}`)).body.members).toEqual([]);
    const membership = await h.ds.query('SELECT 1 FROM memberships WHERE user_id = $1 AND org_id = $2', [
      m.userId,
      owner.orgId,
    ]);
    expect(membership).toEqual([]);
    // the other org is untouched
    expect((await elsewhere.get('/api/v1/me')).status).toBe(200);
    const actions = await h.ds.query(
      `SELECT action FROM audit_events WHERE org_id = $1 AND target_id = $2 AND actor_type = 'scim' ORDER BY seq`,
      [owner.orgId, m.userId],
    );
    expect(actions.map((a: { action: string }) => a.action)).toEqual(['member.removed', 'scim.user.deleted']);
  });

  it('never deactivates or deletes the last active owner', async () => {
    const org = await h.signup();
    const s = (await h.scim(org.client)).client;
    const res = await s.patch(`/Users/${org.userId}`, patchOp({ op: 'replace', value: { active: false } }));
    expect(res.status).toBe(409);
    expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect((await s.delete(`/Users/${org.userId}`)).status).toBe(409);
    expect((await org.client.get('/api/v1/me')).status).toBe(200);
    // with a second owner, the first may go (and the token the first made stops working)
    const second = await h.member(org.client, 'owner');
    expect(
      (await s.patch(`/Users/${org.userId}`, patchOp({ op: 'replace', value: { active: false } }))).status,
    ).toBe(200);
    expect((await second.client.get('/api/v1/me')).status).toBe(200);
    const bySecond = (await h.scim(second.client)).client;
    expect(
      (await bySecond.patch(`/Users/${second.userId}`, patchOp({ op: 'replace', value: { active: false } })))
        .status,
    ).toBe(409);
  });

  it('a change that fails half-way leaves the member active with every credential', async () => {
    const m = await armedMember('member');
    const res = await scim.patch(
      `/Users/${m.userId}`,
      patchOp(
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'userName', value: owner.email },
      ),
    );
    expect(res.status).toBe(409);
    expect((await m.client.get('/api/v1/me')).status).toBe(200);
    expect((await h.client().get('/api/v1/me', { bearer: m.apiKey })).status).toBe(200);
    expect(
      (await h.client().post('/api/v1/agent/sessions', {}, { bearer: m.authtokens[0].token })).body.code,
    ).not.toBe('auth_failed');
  });
});
