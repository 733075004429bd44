import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { type Harness, PASSWORD, startHarness, uniqueEmail } from '../test/harness.js';

const tokenOf = (url: string) => new URL(url).hash.replace('#token=', '');

describe('member invitations: added at once, a single-use link to choose a password', () => {
  let h: Harness;
  let owner: TestClient;
  let orgId: string;

  beforeAll(async () => {
    h = await startHarness();
    ({ client: owner, orgId } = await h.signup());
  });
  afterAll(() => h?.close());

  it('adds the member with a link that lets them choose a password, once', async () => {
    const email = uniqueEmail('invitee');
    const res = await owner.post('/api/v1/members/invitations', { email, role: 'member' });
    expect(res.status).toBe(201);
    expect(res.body.member).toMatchObject({ email, role: 'member' });
    expect(res.body.inviteUrl).toMatch(
      new RegExp(`^${h.config.api.publicUrl}/invitations/accept#token=fdt_iv_`),
    );
    const token = tokenOf(res.body.inviteUrl);
    const [row] = await h.ds.query('SELECT token_hash FROM member_invitations WHERE org_id = $1', [orgId]);
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    const audit = await h.ds.query(
      `SELECT summary::text AS s FROM audit_events WHERE action = 'member.invited'`,
    );
    expect(audit.map((a: { s: string }) => a.s).join()).not.toContain(token);

    const pending = await owner.get('/api/v1/members/invitations');
    expect(pending.body.items).toEqual([expect.objectContaining({ email, userId: res.body.member.userId })]);

    const info = await h.client().post('/api/v1/invitations/lookup', { token });
    expect(info.body).toMatchObject({ email, role: 'member', org: { id: orgId } });
    // Not a valid sign-in before the password is chosen.
    expect((await h.client().post('/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);
    expect((await h.client().post('/api/v1/invitations/accept', { token, password: 'short' })).status).toBe(
      400,
    );
    const accepted = await h
      .client()
      .post('/api/v1/invitations/accept', { token, password: PASSWORD, name: 'Ina' });
    expect(accepted.status).toBe(200);
    const login = await h.client().post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.name).toBe('Ina');
    const again = await h
      .client()
      .post('/api/v1/invitations/accept', { token, password: 'another password' });
    expect(again.body.code).toBe('invitation_invalid');
    expect((await owner.get('/api/v1/members/invitations')).body.items).toEqual([]);
    const events = await h.ds.query(
      `SELECT action FROM audit_events WHERE org_id = $1 AND action LIKE 'member.%' ORDER BY seq`,
      [orgId],
    );
    expect(events.map((e: { action: string }) => e.action)).toEqual([
      'member.invited',
      'member.added',
      'member.invitation_accepted',
    ]);
  });

  it('invites someone who already has an account as a pending member, who joins only by accepting signed in', async () => {
    const other = await h.signup();
    const res = await owner.post('/api/v1/members/invitations', { email: other.email, role: 'viewer' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ delivery: 'link', member: { role: 'viewer' } });
    expect(
      (await owner.get('/api/v1/members')).body.items.map((m: { email: string }) => m.email),
    ).not.toContain(other.email);
    const token = tokenOf(res.body.inviteUrl);
    expect((await h.client().post('/api/v1/invitations/lookup', { token })).body.signInRequired).toBe(true);
    const someoneElse = await h.member(owner, 'viewer');
    const wrong = await someoneElse.client.post('/api/v1/invitations/accept', { token });
    expect(wrong.body.code).toBe('invitation_for_another_account');
  });

  it('replaces a link with a new one, and refuses unknown, malformed and expired tokens', async () => {
    const email = uniqueEmail('twice');
    const first = await owner.post('/api/v1/members/invitations', { email, role: 'viewer' });
    const second = await owner.post(`/api/v1/members/${first.body.member.userId}/invitation`);
    expect(second.status).toBe(201);
    expect(
      (await h.client().post('/api/v1/invitations/lookup', { token: tokenOf(first.body.inviteUrl) })).body
        .code,
    ).toBe('invitation_invalid');
    const token = tokenOf(second.body.inviteUrl);
    await h.ds.query(
      `UPDATE member_invitations SET expires_at = now() - interval '1 minute' WHERE token_hash = $1`,
      [createHash('sha256').update(token).digest('hex')],
    );
    const expired = await h.client().post('/api/v1/invitations/accept', { token, password: PASSWORD });
    expect(expired.status).toBe(410);
    expect(expired.body.code).toBe('invitation_expired');
    expect((await h.client().post('/api/v1/invitations/lookup', { token: 'fdt_iv_nope' })).status).toBe(400);
    expect(
      (await h.client().post('/api/v1/invitations/lookup', { token: `fdt_iv_${'a'.repeat(43)}` })).body.code,
    ).toBe('invitation_invalid');
  });

  it('lets only owners and admins invite, and never above their own role', async () => {
    const admin = await h.member(owner, 'admin');
    const member = await h.member(owner, 'member');
    expect(
      (await member.client.post('/api/v1/members/invitations', { email: uniqueEmail(), role: 'viewer' }))
        .status,
    ).toBe(403);
    expect(
      (await admin.client.post('/api/v1/members/invitations', { email: uniqueEmail(), role: 'owner' })).body
        .code,
    ).toBe('role_not_allowed');
    expect(
      (await admin.client.post('/api/v1/members/invitations', { email: uniqueEmail(), role: 'admin' }))
        .status,
    ).toBe(201);
    expect((await member.client.get('/api/v1/members/invitations')).status).toBe(200);
    expect(
      (await owner.post('/api/v1/members/invitations', { email: 'not-an-email', role: 'viewer' })).status,
    ).toBe(400);
  });
});
