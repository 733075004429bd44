import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { PASSWORD, uniqueEmail } from '../test/harness.js';
import { type SsoHarness, startSsoHarness, uniqueDomain, verifiedDomain } from '../test/sso/sso-fixtures.js';
import { startSmtp, tokenMailedTo } from '../test/smtp.js';

const ATTACKER_PASSWORD = 'attacker chose this one';
const linkToken = (url: string) => new URL(url).hash.replace('#token=', '');

async function events(h: SsoHarness, orgId: string, action: string) {
  return (await h.ds.query(
    `SELECT summary FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`,
    [orgId, action],
  )) as { summary: Record<string, unknown> }[];
}

async function login(h: SsoHarness, email: string, password: string, org?: string) {
  return h.client().post('/api/v1/auth/login', { email, password, ...(org ? { org } : {}) });
}

describe('accounts belong to their owners: no org sets another org’s credentials (copy-link installs)', () => {
  let h: SsoHarness;
  let attacker: TestClient;
  let attackerOrg: string;
  let victimOwner: TestClient;
  let victimOrg: string;

  beforeAll(async () => {
    h = await startSsoHarness();
    ({ client: attacker, orgId: attackerOrg } = await h.signup());
    ({ client: victimOwner, orgId: victimOrg } = await h.signup());
  });
  afterAll(() => h?.close());

  it('refuses to give a SCIM-created member of another org a password through an invitation: 403 at accept, 401 at sign-in, audited in the victim’s org', async () => {
    const scim = await victimOwner.post('/api/v1/scim/tokens', { description: 'idp' });
    const victim = uniqueEmail('victim');
    const created = await h.client().post(
      '/scim/v2/Users',
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: victim },
      {
        bearer: scim.body.token,
      },
    );
    expect(created.status).toBe(201);

    // The attack: invite the victim's address into the attacker's org, accept with a password.
    const invited = await attacker.post('/api/v1/members/invitations', { email: victim, role: 'owner' });
    expect(invited.status).toBe(201);
    expect(invited.body.delivery).toBe('link');
    const accept = await h.client().post('/api/v1/invitations/accept', {
      token: linkToken(invited.body.inviteUrl),
      password: ATTACKER_PASSWORD,
    });
    expect(accept.status).toBe(403);
    expect(accept.body.code).toBe('sign_in_to_accept');
    const signIn = await login(h, victim, ATTACKER_PASSWORD, victimOrg);
    expect(signIn.status).toBe(401);
    const [row] = await h.ds.query('SELECT password_hash FROM users WHERE email = $1', [victim]);
    expect(row.password_hash).toBeNull();
    expect(await events(h, victimOrg, 'account.access_refused')).toEqual([
      {
        summary: expect.objectContaining({
          email: victim,
          reason: 'invitation_sets_no_password',
          byOrg: attackerOrg,
        }),
      },
    ]);
    expect((await events(h, attackerOrg, 'account.access_refused')).length).toBe(1);
  });

  it('refuses POST /members with a password for an existing account, and for any address outside the org’s verified domains', async () => {
    const existing = await h.member(victimOwner, 'member');
    const take = await attacker.post('/api/v1/members', {
      email: existing.email,
      role: 'member',
      password: ATTACKER_PASSWORD,
    });
    expect(take.status).toBe(403);
    expect(take.body.code).toBe('email_domain_unverified');
    const fresh = await attacker.post('/api/v1/members', {
      email: uniqueEmail('anyone'),
      role: 'member',
      password: ATTACKER_PASSWORD,
    });
    expect(fresh.body.code).toBe('email_domain_unverified');
    expect((await login(h, existing.email, ATTACKER_PASSWORD)).status).toBe(401);
  });

  it('lets an org that verified the domain create password accounts there, but never take over an existing one in it', async () => {
    const domain = uniqueDomain('corp');
    await verifiedDomain(h, victimOwner, domain);
    const email = `dev@${domain}`;
    const added = await victimOwner.post('/api/v1/members', { email, role: 'member', password: PASSWORD });
    expect(added.status).toBe(201);
    expect((await login(h, email, PASSWORD)).status).toBe(200);
    const [u] = await h.ds.query('SELECT email_verified_at, password_org_id FROM users WHERE email = $1', [
      email,
    ]);
    expect(u.email_verified_at).not.toBeNull();
    expect(u.password_org_id).toBeNull();

    // An address of the domain that someone else's org already made an account for.
    const claimed = `early@${domain}`;
    const inv = await attacker.post('/api/v1/members/invitations', { email: claimed, role: 'member' });
    await h.client().post('/api/v1/invitations/accept', {
      token: linkToken(inv.body.inviteUrl),
      password: ATTACKER_PASSWORD,
    });
    const refused = await victimOwner.post('/api/v1/members', {
      email: claimed,
      role: 'member',
      password: PASSWORD,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('account_exists');
    expect(await events(h, attackerOrg, 'account.access_refused')).toContainEqual({
      summary: expect.objectContaining({
        email: claimed,
        reason: 'member_add_with_password',
        byOrg: victimOrg,
      }),
    });
  });

  it('keeps a password chosen through a shared link inside its org: it neither signs in to nor joins another org', async () => {
    const target = uniqueEmail('target');
    const inv = await attacker.post('/api/v1/members/invitations', { email: target, role: 'member' });
    expect(
      (
        await h.client().post('/api/v1/invitations/accept', {
          token: linkToken(inv.body.inviteUrl),
          password: ATTACKER_PASSWORD,
        })
      ).status,
    ).toBe(200);
    const attackerSession = await login(h, target, ATTACKER_PASSWORD);
    expect(attackerSession.status).toBe(200);
    expect(attackerSession.body.org.id).toBe(attackerOrg);

    // The real company invites the address later.
    const companyInv = await victimOwner.post('/api/v1/members/invitations', {
      email: target,
      role: 'admin',
    });
    const token = linkToken(companyInv.body.inviteUrl);
    expect((await h.client().post('/api/v1/invitations/lookup', { token })).body.signInRequired).toBe(true);
    const noSession = await h
      .client()
      .post('/api/v1/invitations/accept', { token, password: ATTACKER_PASSWORD });
    expect(noSession.body.code).toBe('sign_in_to_accept');
    const withSession = await h
      .client()
      .post('/api/v1/invitations/accept', { token }, { bearer: attackerSession.body.accessToken });
    expect(withSession.status).toBe(403);
    expect(withSession.body.code).toBe('email_unverified');
    expect((await login(h, target, ATTACKER_PASSWORD, victimOrg)).status).toBe(401);
    expect(
      (await victimOwner.get('/api/v1/members')).body.items.map((m: { email: string }) => m.email),
    ).not.toContain(target);
    expect(await events(h, victimOrg, 'account.access_refused')).toContainEqual({
      summary: expect.objectContaining({ email: target, reason: 'email_unverified' }),
    });
  });
});

describe('invitations by email (a real SMTP server): the address’s owner wins', () => {
  const OPERATOR = 'ops@platform-owner.test';
  let h: SsoHarness;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let attacker: TestClient;
  let attackerOrg: string;
  let company: TestClient;
  let companyOrg: string;

  beforeAll(async () => {
    smtp = await startSmtp();
    h = await startSsoHarness({
      FDT_SMTP_URL: smtp.url,
      FDT_SMTP_FROM: 'fdt <fdt@test>',
      FDT_PLATFORM_OPERATORS: OPERATOR,
    });
    ({ client: attacker, orgId: attackerOrg } = await h.signup());
    ({ client: company, orgId: companyOrg } = await h.signup());
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  it('emails the invitation instead of showing the link, and accepting it proves the address', async () => {
    const email = uniqueEmail('mailed');
    const invited = await company.post('/api/v1/members/invitations', { email, role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ delivery: 'email', inviteUrl: null });
    const mail = smtp.mails.find((m) => m.to.includes(email));
    expect(mail?.text).toContain(`${h.config.api.publicUrl}/invitations/accept#token=fdt_iv_`);
    expect(mail?.text).toContain('From: fdt <fdt@test>');
    const accepted = await h
      .client()
      .post('/api/v1/invitations/accept', { token: tokenMailedTo(smtp.mails, email), password: PASSWORD });
    expect(accepted.status).toBe(200);
    const [u] = await h.ds.query('SELECT email_verified_at, password_org_id FROM users WHERE email = $1', [
      email,
    ]);
    expect(u.email_verified_at).not.toBeNull();
    expect(u.password_org_id).toBeNull();

    // A second org: the owner accepts while signed in; the token sets no password.
    await attacker.post('/api/v1/members/invitations', { email, role: 'viewer' });
    const second = tokenMailedTo(smtp.mails, email);
    const stranger = await h
      .client()
      .post('/api/v1/invitations/accept', { token: second, password: ATTACKER_PASSWORD });
    expect(stranger.body.code).toBe('sign_in_to_accept');
    const session = await login(h, email, PASSWORD);
    const joined = await h
      .client()
      .post('/api/v1/invitations/accept', { token: second }, { bearer: session.body.accessToken });
    expect(joined.status).toBe(200);
    expect((await login(h, email, PASSWORD, attackerOrg)).body.role).toBe('viewer');
  });

  it('erases a password someone claimed for an address once its owner accepts an emailed invitation', async () => {
    const target = uniqueEmail('claimed');
    // The attacker signs up with the address first (nobody proves it at sign-up).
    const squat = await h
      .client()
      .post('/api/v1/auth/signup', { email: target, password: ATTACKER_PASSWORD, orgName: 'Squat' });
    expect(squat.status).toBe(201);
    await company.post('/api/v1/members/invitations', { email: target, role: 'admin' });
    const token = tokenMailedTo(smtp.mails, target);
    expect((await h.client().post('/api/v1/invitations/lookup', { token })).body.signInRequired).toBe(false);
    expect((await h.client().post('/api/v1/invitations/accept', { token, password: PASSWORD })).status).toBe(
      200,
    );
    expect((await login(h, target, ATTACKER_PASSWORD)).status).toBe(401);
    expect((await h.client().get('/api/v1/me', { bearer: squat.body.accessToken })).status).toBe(401);
    expect((await login(h, target, PASSWORD, companyOrg)).body.role).toBe('admin');
    expect((await events(h, squat.body.org.id, 'account.claim_erased')).length).toBe(1);
  });

  it('gives the platform-operator role only to an operator address that was proven', async () => {
    const squat = await h
      .client()
      .post('/api/v1/auth/signup', { email: OPERATOR, password: ATTACKER_PASSWORD, orgName: 'Ops squat' });
    expect(squat.status).toBe(201);
    expect(
      (await h.client().get('/api/v1/me', { bearer: squat.body.accessToken })).body.platformOperator,
    ).toBe(false);
    const relays = await h.client().patch(
      '/api/v1/relays/00000000-0000-4000-8000-000000000000',
      { weight: 0 },
      {
        bearer: squat.body.accessToken,
      },
    );
    expect(relays.status).toBe(403);

    await company.post('/api/v1/members/invitations', { email: OPERATOR, role: 'viewer' });
    await h
      .client()
      .post('/api/v1/invitations/accept', { token: tokenMailedTo(smtp.mails, OPERATOR), password: PASSWORD });
    const real = await login(h, OPERATOR, PASSWORD);
    expect(real.status).toBe(200);
    expect(
      (await h.client().get('/api/v1/me', { bearer: real.body.accessToken })).body.platformOperator,
    ).toBe(true);
  });

  it('lets a signed-in person prove their address with a mailed token; whoever only claimed it cannot', async () => {
    const ops = 'second-ops@platform-owner.test';
    const self = await h
      .client()
      .post('/api/v1/auth/signup', { email: ops, password: PASSWORD, orgName: 'Ops' });
    const bearer = { bearer: self.body.accessToken };
    expect((await h.client().post('/api/v1/me/email-verification', undefined, bearer)).status).toBe(204);
    // Asking again at once sends nothing more (no flooding the address's owner).
    expect((await h.client().post('/api/v1/me/email-verification', undefined, bearer)).status).toBe(204);
    expect(smtp.mails.filter((m) => m.to.includes(ops))).toHaveLength(1);
    const mail = smtp.mails.filter((m) => m.to.includes(ops)).at(-1);
    const token = /(fdt_ev_[0-9a-z]+\.[A-Za-z0-9_-]{43})/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(token).not.toBe('');
    // The mailbox alone is not enough (no sign-in), and a token that is not the one sent fails.
    expect((await h.client().post('/api/v1/me/email-verification/confirm', { token })).status).toBe(401);
    const forged = `${token.slice(0, -4)}AAAA`;
    const bad = await h.client().post('/api/v1/me/email-verification/confirm', { token: forged }, bearer);
    expect(bad.body.code).toBe('verification_invalid');
    const ok = await h.client().post('/api/v1/me/email-verification/confirm', { token }, bearer);
    expect(ok.status).toBe(204);
    const [u] = await h.ds.query('SELECT email_verified_at, password_org_id FROM users WHERE email = $1', [
      ops,
    ]);
    expect(u.email_verified_at).not.toBeNull();
    expect(u.password_org_id).toBeNull();
    expect((await events(h, self.body.org.id, 'account.email_verified')).length).toBe(1);
  });
});

describe('invitations when the mail server is down', () => {
  let h: SsoHarness;

  beforeAll(async () => {
    const smtp = await startSmtp();
    await smtp.close(); // a port where nothing listens any more
    h = await startSsoHarness({ FDT_SMTP_URL: smtp.url });
  });
  afterAll(() => h?.close());

  it('answers 502 email_delivery_failed and never shows the token instead', async () => {
    const { client } = await h.signup();
    const res = await client.post('/api/v1/members/invitations', {
      email: uniqueEmail('lost'),
      role: 'member',
    });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('email_delivery_failed');
    expect(res.text).not.toContain('fdt_iv_');
  });
});
