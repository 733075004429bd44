import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type Owner,
  type ScimClient,
  type ScimHarness,
  startScimHarness,
  uniqueEmail,
} from '../test/scim-harness.js';

// Groups as Microsoft Entra's validator and Okta's group push exercise them, and the
// group → role mapping.

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const q = (s: string) => encodeURIComponent(s);
const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const ids = (list: { value: string }[] | undefined) => (list ?? []).map((m) => m.value).sort();

describe('SCIM Groups', () => {
  let h: ScimHarness;
  let owner: Owner;
  let scim: ScimClient;
  const users: string[] = [];

  const newUser = async () => {
    const email = uniqueEmail('g');
    const r = await scim.post('/Users', { schemas: [USER], userName: email, active: true });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const roleOf = async (userId: string) =>
    (
      await h.ds.query('SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2', [
        userId,
        owner.orgId,
      ])
    )[0]?.role;

  beforeAll(async () => {
    h = await startScimHarness();
    owner = await h.signup();
    scim = (await h.scim(owner.client)).client;
    for (let i = 0; i < 4; i++) users.push(await newUser());
  });
  afterAll(() => h?.close());

  describe("Microsoft Entra's SCIM validator", () => {
    it('creates a group (201, Location, ETag), refuses a duplicate displayName in any case (409)', async () => {
      const name = `Group ${Date.now()}`;
      const res = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: name,
        externalId: 'eg-1',
        members: [],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ schemas: [GROUP], displayName: name, externalId: 'eg-1' });
      expect(res.headers.get('location')).toBe(res.body.meta.location);
      expect(res.headers.get('etag')).toBe(res.body.meta.version);
      const dup = await scim.post('/Groups', { schemas: [GROUP], displayName: name.toUpperCase() });
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    });

    it('filters groups by displayName with excludedAttributes=members', async () => {
      const name = `Filter ${Date.now()}`;
      const made = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: name,
        members: [{ value: users[0] }],
      });
      const res = await scim.get(
        `/Groups?excludedAttributes=members&filter=${q(`displayName eq "${name.toLowerCase()}"`)}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(1);
      expect(res.body.Resources[0].id).toBe(made.body.id);
      expect(res.body.Resources[0].members).toBeUndefined();
      const one = await scim.get(`/Groups/${made.body.id}?excludedAttributes=members`);
      expect(one.body.members).toBeUndefined();
      expect(one.body.displayName).toBe(name);
      const withMembers = await scim.get(`/Groups/${made.body.id}`);
      expect(ids(withMembers.body.members)).toEqual([users[0]]);
      const byMember = await scim.get(`/Groups?filter=${q(`members[value eq "${users[0]}"]`)}`);
      expect(byMember.body.Resources.map((g: { id: string }) => g.id)).toContain(made.body.id);
    });

    it('adds members, replaces displayName, removes members in both shapes: 204 each time', async () => {
      const made = await scim.post('/Groups', { schemas: [GROUP], displayName: `Patch ${Date.now()}` });
      const id = made.body.id;
      const add = await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'Add', path: 'members', value: users.map((value) => ({ value })) }),
      );
      expect(add.status).toBe(204);
      expect(add.text).toBe('');
      expect(add.headers.get('etag')).toMatch(/^W\//);
      expect(ids((await scim.get(`/Groups/${id}`)).body.members)).toEqual([...users].sort());

      const rename = await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'Replace', path: 'displayName', value: 'Renamed group' }),
      );
      expect(rename.status).toBe(204);
      // Okta's shape: a path-less replace carrying id and displayName
      const okta = await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'replace', value: { id, displayName: 'Okta name' } }),
      );
      expect(okta.status).toBe(204);
      expect((await scim.get(`/Groups/${id}`)).body.displayName).toBe('Okta name');

      // removal shape 1: a value filter in the path
      const r1 = await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'Remove', path: `members[value eq "${users[0]}"]` }),
      );
      expect(r1.status).toBe(204);
      // removal shape 2: path members with a value list
      const r2 = await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'Remove', path: 'members', value: [{ value: users[1] }, { value: users[2] }] }),
      );
      expect(r2.status).toBe(204);
      expect(ids((await scim.get(`/Groups/${id}`)).body.members)).toEqual([users[3]]);
      // replace members, then remove all
      await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'replace', path: 'members', value: [{ value: users[0] }] }),
      );
      expect(ids((await scim.get(`/Groups/${id}`)).body.members)).toEqual([users[0]]);
      await scim.patch(`/Groups/${id}`, patchOp({ op: 'remove', path: 'members' }));
      expect((await scim.get(`/Groups/${id}`)).body.members).toEqual([]);
    });

    it('shows a user’s groups (read-only) on the user', async () => {
      const made = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: `Shown ${Date.now()}`,
        members: [{ value: users[2] }],
      });
      const user = await scim.get(`/Users/${users[2]}`);
      expect(user.body.groups).toContainEqual({
        value: made.body.id,
        display: made.body.displayName,
        $ref: `${made.body.meta.location}`,
      });
      const byGroup = await scim.get(`/Users?filter=${q(`groups.value eq "${made.body.id}"`)}`);
      expect(byGroup.body.Resources.map((u: { id: string }) => u.id)).toEqual([users[2]]);
    });

    it('replaces a group with PUT', async () => {
      const made = await scim.post('/Groups', {
        schemas: [GROUP],
        displayName: `Put ${Date.now()}`,
        members: [{ value: users[0] }],
      });
      const res = await scim.put(`/Groups/${made.body.id}`, {
        schemas: [GROUP],
        displayName: `${made.body.displayName} v2`,
        members: [{ value: users[1] }, { value: users[2] }],
      });
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe(`${made.body.displayName} v2`);
      expect(ids(res.body.members)).toEqual([users[1], users[2]].sort());
      expect(res.body.externalId).toBeUndefined();
    });

    it('deletes a group: 204, then 404 on get and on a second delete', async () => {
      const made = await scim.post('/Groups', { schemas: [GROUP], displayName: `Delete ${Date.now()}` });
      expect((await scim.delete(`/Groups/${made.body.id}`)).status).toBe(204);
      const again = await scim.get(`/Groups/${made.body.id}`);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ schemas: [ERROR], status: '404' });
      expect((await scim.delete(`/Groups/${made.body.id}`)).status).toBe(404);
    });

    it('refuses unknown members, bad paths and a stale If-Match, changing nothing', async () => {
      const made = await scim.post('/Groups', { schemas: [GROUP], displayName: `Bad ${Date.now()}` });
      const id = made.body.id;
      const stranger = (await h.signup()).userId; // a user of another org
      const cases: [unknown, number, string | undefined][] = [
        [patchOp({ op: 'add', path: 'members', value: [{ value: stranger }] }), 400, 'invalidValue'],
        [patchOp({ op: 'add', path: 'members', value: [{ value: 'not-a-uuid' }] }), 400, 'invalidValue'],
        [patchOp({ op: 'add', path: 'members', value: 'x' }), 400, 'invalidValue'],
        [patchOp({ op: 'replace', path: 'members.display', value: 'x' }), 400, 'invalidPath'],
        [patchOp({ op: 'replace', path: 'owner', value: 'x' }), 400, 'invalidPath'],
        [patchOp({ op: 'remove', path: 'displayName' }), 400, 'invalidValue'],
        [patchOp({ op: 'replace', path: 'id', value: 'x' }), 400, 'mutability'],
      ];
      for (const [body, status, scimType] of cases) {
        const res = await scim.patch(`/Groups/${id}`, body);
        expect([res.status, res.body.scimType]).toEqual([status, scimType]);
      }
      const stale = await scim.patch(
        `/Groups/${id}`,
        patchOp({ op: 'replace', path: 'displayName', value: 'x' }),
        {
          'if-match': 'W/"stale"',
        },
      );
      expect(stale.status).toBe(412);
      expect(await scim.get(`/Groups/${id}`).then((r) => r.body)).toEqual(made.body);
      expect((await scim.post('/Groups', { schemas: [GROUP] })).body.scimType).toBe('invalidValue');
      expect((await scim.post('/Groups', { schemas: [USER], displayName: 'x' })).body.scimType).toBe(
        'invalidSyntax',
      );
    });
  });

  describe('group → role mapping', () => {
    it('lists groups for admins and maps a group to a role; members follow the highest mapped role', async () => {
      const org = await h.signup();
      const s = (await h.scim(org.client)).client;
      const mk = async () =>
        (await s.post('/Users', { schemas: [USER], userName: uniqueEmail('r'), active: true })).body
          .id as string;
      const [a, b, c] = [await mk(), await mk(), await mk()];
      const role = async (u: string) =>
        (
          await h.ds.query('SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2', [u, org.orgId])
        )[0].role;
      const admins = (
        await s.post('/Groups', { schemas: [GROUP], displayName: 'Admins', members: [{ value: a }] })
      ).body.id;
      const viewers = (
        await s.post('/Groups', {
          schemas: [GROUP],
          displayName: 'Viewers',
          members: [{ value: a }, { value: b }],
        })
      ).body.id;
      // no mapping yet: roles stay as provisioned
      expect([await role(a), await role(b), await role(c)]).toEqual(['member', 'member', 'member']);

      const list = await org.client.get('/api/v1/scim/groups');
      expect(list.status).toBe(200);
      expect(
        list.body.items.map((g: { displayName: string; memberCount: number; role: null }) => [
          g.displayName,
          g.memberCount,
          g.role,
        ]),
      ).toEqual([
        ['Admins', 1, null],
        ['Viewers', 2, null],
      ]);

      const mapped = await org.client.patch(`/api/v1/scim/groups/${viewers}`, { role: 'viewer' });
      expect(mapped.status).toBe(200);
      expect(mapped.body.role).toBe('viewer');
      // once any group maps: a (Viewers) and b (Viewers) are viewers, c (no group) the default role
      expect([await role(a), await role(b), await role(c)]).toEqual(['viewer', 'viewer', 'member']);

      await org.client.patch(`/api/v1/scim/groups/${admins}`, { role: 'admin' });
      expect([await role(a), await role(b)]).toEqual(['admin', 'viewer']);

      // leaving the Admins group demotes a to the next highest mapped role
      await s.patch(`/Groups/${admins}`, patchOp({ op: 'Remove', path: `members[value eq "${a}"]` }));
      expect(await role(a)).toBe('viewer');
      // joining it again promotes
      await s.patch(`/Groups/${admins}`, patchOp({ op: 'Add', path: 'members', value: [{ value: c }] }));
      expect(await role(c)).toBe('admin');
      // deleting a mapped group moves its members
      await s.delete(`/Groups/${admins}`);
      expect(await role(c)).toBe('member');

      // owners are never changed by SCIM, even in a mapped group
      await s.patch(
        `/Groups/${viewers}`,
        patchOp({ op: 'Add', path: 'members', value: [{ value: org.userId }] }),
      );
      expect(await role(org.userId)).toBe('owner');

      const audit = await h.ds.query(
        `SELECT action, actor_type, summary FROM audit_events WHERE org_id = $1 AND action IN ('member.role_changed', 'scim.group.role_mapped') ORDER BY seq`,
        [org.orgId],
      );
      expect(audit.filter((e: { action: string }) => e.action === 'scim.group.role_mapped')).toHaveLength(2);
      const changes = audit
        .filter((e: { action: string }) => e.action === 'member.role_changed')
        .map((e: { actor_type: string; summary: { from: string; to: string } }) => [
          e.actor_type,
          e.summary.from,
          e.summary.to,
        ]);
      // mapping a group is done by an admin (user); membership changes by the IdP (scim)
      expect(changes).toEqual([
        ['user', 'member', 'viewer'],
        ['user', 'member', 'viewer'],
        ['user', 'viewer', 'admin'],
        ['scim', 'admin', 'viewer'],
        ['scim', 'member', 'admin'],
        ['scim', 'admin', 'member'],
      ]);
    });

    it('refuses mapping to owner, unknown groups and callers without sso:manage', async () => {
      const made = await scim.post('/Groups', { schemas: [GROUP], displayName: `Map ${Date.now()}` });
      const owners = await owner.client.patch(`/api/v1/scim/groups/${made.body.id}`, { role: 'owner' });
      expect(owners.status).toBe(400);
      expect((await owner.client.patch(`/api/v1/scim/groups/${made.body.id}`, {})).status).toBe(400);
      expect(
        (await owner.client.patch(`/api/v1/scim/groups/${made.body.id}`, { role: 'admin', extra: 1 })).status,
      ).toBe(400);
      const unknown = await owner.client.patch('/api/v1/scim/groups/010101ab-0000-4000-8000-000000000000', {
        role: 'admin',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('scim_group_not_found');
      const member = await h.member(owner.client, 'member');
      const denied = await member.client.patch(`/api/v1/scim/groups/${made.body.id}`, { role: 'admin' });
      expect(denied.status).toBe(403);
      expect((await member.client.get('/api/v1/scim/groups')).status).toBe(403);
      // unmapping works and leaves roles as they are
      expect(
        (await owner.client.patch(`/api/v1/scim/groups/${made.body.id}`, { role: null })).body.role,
      ).toBeNull();
      expect(await roleOf(users[0])).toBe('member');
    });
  });
});
