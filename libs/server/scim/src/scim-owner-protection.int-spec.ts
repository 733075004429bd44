import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Owner, PASSWORD, type ScimHarness, startScimHarness } from '../test/scim-harness.js';

// A SCIM token acts with its creator's current role: what the REST api refuses that member,
// SCIM refuses the token (owners are touched by owners only, never the last owner).

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

describe('SCIM tokens cannot do what their creator’s role cannot', () => {
  let h: ScimHarness;
  let owner: Owner;

  beforeAll(async () => {
    h = await startScimHarness();
    owner = await h.signup();
  });
  afterAll(() => h?.close());

  it('an admin’s token cannot deactivate, delete, demote by group or re-email an owner', async () => {
    const admin = await h.member(owner.client, 'admin');
    const { client: scim } = await h.scim(admin.client);
    const deactivate = await scim.patch(
      `/Users/${owner.userId}`,
      patchOp({ op: 'replace', value: { active: false } }),
    );
    expect(deactivate.status).toBe(403);
    expect(deactivate.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect((await scim.delete(`/Users/${owner.userId}`)).status).toBe(403);
    const reEmail = await scim.patch(
      `/Users/${owner.userId}`,
      patchOp({ op: 'replace', path: 'userName', value: `taken-over-${Date.now()}@attacker.test` }),
    );
    expect(reEmail.status).toBe(403);
    // The owner is untouched: same address, still signs in.
    const [row] = await h.ds.query('SELECT email FROM users WHERE id = $1', [owner.userId]);
    expect(row.email).toBe(owner.email);
    expect(
      (await h.client().post('/api/v1/auth/login', { email: owner.email, password: PASSWORD })).status,
    ).toBe(200);
    const refused = await h.ds.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action IN ('member.deactivated', 'member.removed', 'member.email_changed')`,
      [owner.orgId],
    );
    expect(refused[0].n).toBe(0);
  });

  it('an owner’s token may touch an owner, but never the last active one', async () => {
    const { client: scim } = await h.scim(owner.client);
    const res = await scim.patch(
      `/Users/${owner.userId}`,
      patchOp({ op: 'replace', value: { active: false } }),
    );
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/last active owner/);
  });

  it('a token stops working once its creator is demoted below SCIM management', async () => {
    const admin = await h.member(owner.client, 'admin');
    const { client: scim } = await h.scim(admin.client);
    expect((await scim.get('/Users')).status).toBe(200);
    expect((await owner.client.patch(`/api/v1/members/${admin.userId}`, { role: 'member' })).status).toBe(
      200,
    );
    const after = await scim.get('/Users');
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/no longer manages SCIM/);
  });
});
