import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type Owner,
  type ScimClient,
  type ScimHarness,
  startScimHarness,
  uniqueEmail,
} from '../test/scim-harness.js';

// Users over HTTP as Okta's SCIM 2.0 spec test and Microsoft Entra's SCIM validator exercise
// them (TEST-PEERS.md), plus RFC 7644 paging, filters, projection, ETags and error shapes.

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const q = (s: string) => encodeURIComponent(s);

/** The body Okta's spec test posts (a random user, with the attributes Okta sends). */
function oktaUser(email = uniqueEmail('okta')) {
  return {
    schemas: [USER],
    userName: email,
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: 'Test User',
    locale: 'en-US',
    externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
    groups: [],
    password: 'not stored by fdt',
    active: true,
  };
}

/** The body Entra's validator posts: enterprise extension, addresses, phone numbers, roles... */
function entraUser(email = uniqueEmail('entra')) {
  return {
    schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: `ext-${Math.random().toString(36).slice(2, 10)}`,
    userName: email,
    active: true,
    addresses: [{ primary: true, type: 'work', streetAddress: '1 Main St', locality: 'Town', country: 'NL' }],
    displayName: 'Entra Person',
    emails: [{ primary: true, type: 'work', value: email }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Entra Person', familyName: 'Person', givenName: 'Entra' },
    phoneNumbers: [{ primary: true, type: 'work', value: '+31 20 555 0100' }],
    roles: [],
    title: 'Engineer',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D', employeeNumber: '42' },
  };
}

const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

function expectScimError(
  res: { status: number; body: Record<string, unknown>; headers: Headers },
  status: number,
  scimType?: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  expect(res.body.schemas).toEqual([ERROR]);
  expect(res.body.status).toBe(String(status));
  expect(typeof res.body.detail).toBe('string');
  if (scimType) expect(res.body.scimType).toBe(scimType);
}

describe('SCIM Users', () => {
  let h: ScimHarness;
  let owner: Owner;
  let scim: ScimClient;

  beforeAll(async () => {
    h = await startScimHarness();
    owner = await h.signup();
    scim = (await h.scim(owner.client)).client;
  });
  afterAll(() => h?.close());

  describe("Okta's SCIM 2.0 spec test", () => {
    it('lists users with count and startIndex (1-based)', async () => {
      for (let i = 0; i < 3; i++) expect((await scim.post('/Users', oktaUser())).status).toBe(201);
      const res = await scim.get('/Users?count=1&startIndex=1');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body.schemas).toEqual([LIST]);
      expect(res.body.totalResults).toBeGreaterThanOrEqual(4);
      expect(res.body.startIndex).toBe(1);
      expect(res.body.itemsPerPage).toBe(1);
      expect(res.body.Resources).toHaveLength(1);
      // the first member is the org's owner (created first)
      expect(res.body.Resources[0].id).toBe(owner.userId);
    });

    it('creates a user: 201 with the user, Location and ETag; the password is not kept', async () => {
      const body = oktaUser();
      const res = await scim.post('/Users', body);
      expect(res.status).toBe(201);
      expect(res.body.schemas).toEqual([USER]);
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.userName).toBe(body.userName);
      expect(res.body.active).toBe(true);
      expect(res.body.externalId).toBe(body.externalId);
      expect(res.body.name).toEqual({ givenName: 'Test', familyName: 'User' });
      expect(res.body.emails).toEqual([{ value: body.userName, type: 'work', primary: true }]);
      expect(res.body.password).toBeUndefined();
      expect(res.body.meta.resourceType).toBe('User');
      expect(res.headers.get('location')).toBe(res.body.meta.location);
      expect(res.body.meta.location).toMatch(new RegExp(`/scim/v2/Users/${res.body.id}$`));
      expect(res.headers.get('etag')).toBe(res.body.meta.version);
      const [row] = await h.ds.query('SELECT password_hash, name FROM users WHERE id = $1', [res.body.id]);
      expect(row).toEqual({ password_hash: null, name: 'Test User' });
      const [ms] = await h.ds.query(
        'SELECT role, deactivated_at FROM memberships WHERE user_id = $1 AND org_id = $2',
        [res.body.id, owner.orgId],
      );
      expect(ms).toEqual({ role: 'member', deactivated_at: null });
    });

    it('gets a user by id', async () => {
      const made = await scim.post('/Users', oktaUser());
      const res = await scim.get(`/Users/${made.body.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(made.body);
      expect(res.headers.get('etag')).toBe(made.body.meta.version);
    });

    it('finds a user by userName eq, also in a different case, and an unknown one yields an empty list', async () => {
      const email = uniqueEmail('CaseTest');
      const made = await scim.post('/Users', oktaUser(email));
      for (const name of [email, email.toUpperCase(), email.toLowerCase()]) {
        const res = await scim.get(`/Users?filter=${q(`userName eq "${name}"`)}&startIndex=1&count=100`);
        expect(res.status).toBe(200);
        expect(res.body.totalResults).toBe(1);
        expect(res.body.Resources[0].id).toBe(made.body.id);
      }
      const none = await scim.get(`/Users?filter=${q(`userName eq "${uniqueEmail('nobody')}"`)}`);
      expect(none.status).toBe(200);
      expect(none.body).toEqual({
        schemas: [LIST],
        totalResults: 0,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });
    });

    it('answers 404 in the SCIM Error schema (status as a string) for an unknown id', async () => {
      expectScimError(await scim.get('/Users/010101ab-0000-4000-8000-000000000000'), 404);
      expectScimError(await scim.get('/Users/not-a-uuid'), 404);
    });

    it('refuses a duplicate userName with 409 uniqueness, whatever its case', async () => {
      const body = oktaUser();
      expect((await scim.post('/Users', body)).status).toBe(201);
      expectScimError(await scim.post('/Users', body), 409, 'uniqueness');
      expectScimError(
        await scim.post('/Users', { ...body, userName: body.userName.toUpperCase() }),
        409,
        'uniqueness',
      );
    });

    it('answers 401 for a wrong token', async () => {
      const bad = new (scim.constructor as typeof ScimClient)(h.client(), `fdt_scim_${'A'.repeat(43)}`);
      expectScimError(await bad.get('/Users'), 401);
    });

    it('deactivates by PATCH replace {"active": false} without a path (200 with the user)', async () => {
      const made = await scim.post('/Users', oktaUser());
      const res = await scim.patch(
        `/Users/${made.body.id}`,
        patchOp({ op: 'replace', value: { active: false } }),
      );
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
      expect((await scim.get(`/Users/${made.body.id}`)).body.active).toBe(false);
      const [ms] = await h.ds.query('SELECT deactivated_at FROM memberships WHERE user_id = $1', [
        made.body.id,
      ]);
      expect(ms.deactivated_at).toBeInstanceOf(Date);
    });

    it('replaces a full user with PUT', async () => {
      const made = await scim.post('/Users', oktaUser());
      const put = {
        ...oktaUser(made.body.userName),
        externalId: made.body.externalId,
        name: { givenName: 'Changed', familyName: 'Name' },
        displayName: undefined,
      };
      const res = await scim.put(`/Users/${made.body.id}`, put);
      expect(res.status).toBe(200);
      expect(res.body.name).toEqual({ givenName: 'Changed', familyName: 'Name' });
      // PUT replaces: displayName was left out, so the IdP's value is gone (the account name shows)
      expect(res.body.displayName).toBe('Changed Name');
      expect(res.headers.get('etag')).toBe(res.body.meta.version);
      expect(res.body.meta.version).not.toBe(made.body.meta.version);
      expect((await scim.get(`/Users/${made.body.id}`)).body.name.givenName).toBe('Changed');
    });
  });

  describe("Microsoft Entra's SCIM validator", () => {
    it('creates a user with the enterprise extension and attributes fdt does not keep', async () => {
      const body = entraUser();
      const res = await scim.post('/Users', body);
      expect(res.status).toBe(201);
      expect(res.body.name).toEqual({ givenName: 'Entra', familyName: 'Person', formatted: 'Entra Person' });
      expect(res.body.displayName).toBe('Entra Person');
      expect(res.body.title).toBeUndefined();
    });

    it('accepts "True" as a boolean in a POST body', async () => {
      const res = await scim.post('/Users', { ...entraUser(), active: 'True' });
      expect(res.status).toBe(201);
      expect(res.body.active).toBe(true);
    });

    it('filters by externalId and by userName', async () => {
      const made = await scim.post('/Users', entraUser());
      const byExt = await scim.get(`/Users?filter=${q(`externalId eq "${made.body.externalId}"`)}`);
      expect(byExt.body.Resources.map((r: { id: string }) => r.id)).toEqual([made.body.id]);
      // externalId is caseExact
      const wrongCase = await scim.get(
        `/Users?filter=${q(`externalId eq "${made.body.externalId.toUpperCase()}"`)}`,
      );
      expect(wrongCase.body.totalResults).toBe(0);
    });

    it('replaces attributes with capitalised ops, "False" strings and emails[type eq "work"].value', async () => {
      const made = await scim.post('/Users', entraUser());
      const id = made.body.id;
      const res = await scim.patch(
        `/Users/${id}`,
        patchOp(
          { op: 'Replace', path: 'displayName', value: 'Renamed Person' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'renamed@example.test' },
          { op: 'Replace', path: 'name.familyName', value: 'Renamed' },
          { op: 'Add', path: 'externalId', value: 'ext-renamed' },
          { op: 'Replace', path: 'active', value: 'False' },
        ),
      );
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe('Renamed Person');
      expect(res.body.emails).toEqual([{ value: 'renamed@example.test', type: 'work', primary: true }]);
      expect(res.body.name.familyName).toBe('Renamed');
      expect(res.body.externalId).toBe('ext-renamed');
      expect(res.body.active).toBe(false);
      const back = await scim.patch(
        `/Users/${id}`,
        patchOp({ op: 'Replace', path: 'active', value: 'True' }),
      );
      expect(back.body.active).toBe(true);
    });

    it('adds a work email through a filtered path when the user has none of that type', async () => {
      const made = await scim.post('/Users', {
        ...entraUser(),
        emails: [{ type: 'home', value: 'home@example.test' }],
      });
      const res = await scim.patch(
        `/Users/${made.body.id}`,
        patchOp({ op: 'Add', path: 'emails[type eq "work"].value', value: 'work@example.test' }),
      );
      expect(res.body.emails).toEqual([
        { value: 'home@example.test', type: 'home' },
        { value: 'work@example.test', type: 'work' },
      ]);
      const filtered = await scim.get(
        `/Users?filter=${q('emails[type eq "work"].value eq "WORK@example.test"')}`,
      );
      expect(filtered.body.Resources.map((r: { id: string }) => r.id)).toEqual([made.body.id]);
    });

    it('applies a path-less replace with dotted keys and string booleans', async () => {
      const made = await scim.post('/Users', entraUser());
      const res = await scim.patch(
        `/Users/${made.body.id}`,
        patchOp({
          op: 'Replace',
          value: {
            'name.givenName': 'Dotted',
            'name.familyName': 'Keys',
            'urn:ietf:params:scim:schemas:core:2.0:User:displayName': 'Qualified',
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'ignored',
            active: 'False',
          },
        }),
      );
      expect(res.status).toBe(200);
      expect(res.body.name).toEqual({ givenName: 'Dotted', familyName: 'Keys', formatted: 'Entra Person' });
      expect(res.body.displayName).toBe('Qualified');
      expect(res.body.active).toBe(false);
    });

    it('changes userName (the sign-in email) of an account only this org has', async () => {
      const made = await scim.post('/Users', entraUser());
      const next = uniqueEmail('Renamed');
      const res = await scim.patch(
        `/Users/${made.body.id}`,
        patchOp({ op: 'Replace', path: 'userName', value: next }),
      );
      expect(res.status).toBe(200);
      expect(res.body.userName).toBe(next);
      const [u] = await h.ds.query('SELECT email FROM users WHERE id = $1', [made.body.id]);
      expect(u.email).toBe(next.toLowerCase());
      // to someone else's userName: 409
      const other = await scim.post('/Users', entraUser());
      expectScimError(
        await scim.patch(
          `/Users/${made.body.id}`,
          patchOp({ op: 'replace', path: 'userName', value: other.body.userName }),
        ),
        409,
        'uniqueness',
      );
    });

    it('deletes a user: 204, then 404 on get and on a second delete', async () => {
      const made = await scim.post('/Users', entraUser());
      expect((await scim.delete(`/Users/${made.body.id}`)).status).toBe(204);
      expectScimError(await scim.get(`/Users/${made.body.id}`), 404);
      expectScimError(await scim.delete(`/Users/${made.body.id}`), 404);
    });
  });

  describe('RFC 7644 paging, filters, projection and ETags', () => {
    let org: Owner;
    let scim2: ScimClient;
    const ids: string[] = [];

    beforeAll(async () => {
      org = await h.signup();
      scim2 = (await h.scim(org.client)).client;
      for (const [i, given] of ['Ann', 'Bob', 'Cid', 'Dee', 'Eve'].entries()) {
        const r = await scim2.post('/Users', {
          schemas: [USER],
          userName: `${given.toLowerCase()}.${i}@paging.test`,
          name: { givenName: given, familyName: i % 2 ? 'Odd' : 'Even' },
          externalId: i === 4 ? undefined : `x-${i}`,
          active: i !== 3,
        });
        ids.push(r.body.id);
      }
    });

    it('pages 1-based: startIndex below 1 means 1; count=0 gives only totalResults; past the end is empty', async () => {
      const all = await scim2.get('/Users');
      expect(all.body.totalResults).toBe(6); // the owner and five users
      const page2 = await scim2.get('/Users?startIndex=2&count=2');
      expect(page2.body.startIndex).toBe(2);
      expect(page2.body.Resources.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
      const zero = await scim2.get('/Users?startIndex=0&count=2');
      expect(zero.body.startIndex).toBe(1);
      expect(zero.body.Resources[0].id).toBe(org.userId);
      const none = await scim2.get('/Users?count=0');
      expect(none.body).toEqual({
        schemas: [LIST],
        totalResults: 6,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });
      const past = await scim2.get('/Users?startIndex=100');
      expect(past.body.totalResults).toBe(6);
      expect(past.body.Resources).toEqual([]);
      const negative = await scim2.get('/Users?count=-5');
      expect(negative.body.Resources).toEqual([]);
      expectScimError(await scim2.get('/Users?startIndex=abc'), 400, 'invalidValue');
    });

    const names = async (filter: string) => {
      const res = await scim2.get(`/Users?filter=${q(filter)}`);
      expect(res.status).toBe(200);
      return res.body.Resources.map(
        (r: { name?: { givenName: string } }) => r.name?.givenName ?? 'owner',
      ).sort();
    };

    it('translates eq, ne, co, sw, ew, pr, gt, and, or, not and grouping', async () => {
      expect(await names('name.givenName eq "ANN"')).toEqual(['Ann']);
      expect(await names('userName co "PAGING"')).toEqual(['Ann', 'Bob', 'Cid', 'Dee', 'Eve']);
      expect(await names('userName sw "b"')).toEqual(['Bob']);
      expect(await names('userName ew ".3@paging.test"')).toEqual(['Dee']);
      expect(await names('externalId pr')).toEqual(['Ann', 'Bob', 'Cid', 'Dee']);
      expect(await names('name.familyName eq "odd" and active eq true')).toEqual(['Bob']);
      expect(await names('name.givenName eq "Ann" or name.givenName eq "Eve"')).toEqual(['Ann', 'Eve']);
      expect(await names('not (userName co "paging")')).toEqual(['owner']);
      expect(await names('active eq false')).toEqual(['Dee']);
      expect(
        await names('(name.givenName sw "a" or name.givenName sw "b") and not (name.familyName eq "Even")'),
      ).toEqual(['Bob']);
      expect(await names('name.givenName ne "Ann" and userName co "paging"')).toEqual([
        'Bob',
        'Cid',
        'Dee',
        'Eve',
      ]);
      expect(await names('meta.created gt "2000-01-01T00:00:00Z" and userName sw "eve"')).toEqual(['Eve']);
      expect(await names('emails co "cid"')).toEqual(['Cid']);
      expect(await names('emails[type eq "work" and value sw "dee"]')).toEqual(['Dee']);
      expect(await names(`id eq "${ids[1]}"`)).toEqual(['Bob']);
      expect(
        await names('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann.0@paging.test"'),
      ).toEqual(['Ann']);
      // a LIKE wildcard in the value is a literal
      expect(await names('userName co "%"')).toEqual([]);
    });

    it('answers 400 invalidFilter for bad filters, unknown attributes and type mismatches', async () => {
      for (const f of [
        'userName eq',
        'userName xx "a"',
        'userName eq "a" and',
        '(userName eq "a"',
        'userName eq unquoted',
        'nosuch eq "a"',
        'name eq "a"',
        'active eq "maybe"',
        'active co true',
        'meta.created gt "not a date"',
        'emails[type eq "work"',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"',
        'userName eq "a" )',
        'x'.repeat(3000),
      ]) {
        const res = await scim2.get(`/Users?filter=${q(f)}`);
        expectScimError(res, 400, 'invalidFilter');
      }
    });

    it('projects with attributes and excludedAttributes (id and schemas always stay)', async () => {
      const only = await scim2.get(`/Users/${ids[0]}?attributes=userName,name.givenName`);
      expect(only.body).toEqual({
        schemas: [USER],
        id: ids[0],
        userName: 'ann.0@paging.test',
        name: { givenName: 'Ann' },
      });
      const list = await scim2.get(
        `/Users?attributes=${q('urn:ietf:params:scim:schemas:core:2.0:User:userName')}&count=1`,
      );
      expect(Object.keys(list.body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
      const without = await scim2.get(`/Users/${ids[0]}?excludedAttributes=emails,meta,id`);
      expect(without.body.emails).toBeUndefined();
      expect(without.body.meta).toBeUndefined();
      expect(without.body.id).toBe(ids[0]);
    });

    it('serves ETags: If-None-Match gives 304, a stale If-Match gives 412 and changes nothing', async () => {
      const got = await scim2.get(`/Users/${ids[2]}`);
      const etag = got.headers.get('etag') as string;
      expect(etag).toMatch(/^W\/".+"$/);
      // (fetch would add `cache-control: no-cache` to a conditional request unless one is given)
      const conditional = { 'if-none-match': etag, 'cache-control': 'max-age=0' };
      expect((await scim2.get(`/Users/${ids[2]}`, conditional)).status).toBe(304);
      const ok = await scim2.patch(
        `/Users/${ids[2]}`,
        patchOp({ op: 'replace', path: 'displayName', value: 'Cid v2' }),
        { 'if-match': etag },
      );
      expect(ok.status).toBe(200);
      const stale = await scim2.patch(
        `/Users/${ids[2]}`,
        patchOp({ op: 'replace', path: 'displayName', value: 'Cid v3' }),
        { 'if-match': etag },
      );
      expectScimError(stale, 412);
      expect((await scim2.get(`/Users/${ids[2]}`)).body.displayName).toBe('Cid v2');
      expectScimError(await scim2.delete(`/Users/${ids[2]}`, { 'if-match': etag }), 412);
      expect(
        (
          await scim2.put(
            `/Users/${ids[2]}`,
            { schemas: [USER], userName: 'cid.2@paging.test' },
            { 'if-match': '*' },
          )
        ).status,
      ).toBe(200);
    });

    it('keeps each org to its own users', async () => {
      const foreign = await scim.get(`/Users/${ids[0]}`);
      expectScimError(foreign, 404);
      const list = await scim.get(`/Users?filter=${q('userName co "paging.test"')}`);
      expect(list.body.totalResults).toBe(0);
      expectScimError(
        await scim.patch(`/Users/${ids[0]}`, patchOp({ op: 'replace', value: { active: false } })),
        404,
      );
    });
  });

  describe('bad input changes nothing', () => {
    it('answers 400 invalidSyntax for malformed JSON, in the SCIM Error schema', async () => {
      const res = await h.client().request('POST', '/scim/v2/Users', {
        bearer: scim.token,
        headers: { 'content-type': 'application/scim+json' },
        body: '{"schemas": [',
      });
      expectScimError(res, 400, 'invalidSyntax');
    });

    it('answers 400 for missing schemas, unknown attributes, bad values and a missing userName', async () => {
      const base = oktaUser();
      expectScimError(await scim.post('/Users', { ...base, schemas: undefined }), 400, 'invalidSyntax');
      expectScimError(await scim.post('/Users', { ...base, favouriteColour: 'green' }), 400, 'invalidSyntax');
      expectScimError(
        await scim.post('/Users', { ...base, 'urn:example:custom:2.0:User': {} }),
        400,
        'invalidSyntax',
      );
      expectScimError(await scim.post('/Users', { ...base, active: 'maybe' }), 400, 'invalidValue');
      expectScimError(await scim.post('/Users', { ...base, userName: 'not an email' }), 400, 'invalidValue');
      expectScimError(await scim.post('/Users', { ...base, userName: undefined }), 400, 'invalidValue');
      expectScimError(
        await scim.post('/Users', { ...base, emails: [{ type: 'work' }] }),
        400,
        'invalidValue',
      );
      expectScimError(await scim.post('/Users', { ...base, name: 'flat' }), 400, 'invalidValue');
      expectScimError(await scim.post('/Users', [base]), 400, 'invalidSyntax');
      const rows = await h.ds.query('SELECT 1 FROM users WHERE email = $1', [base.userName.toLowerCase()]);
      expect(rows).toEqual([]);
    });

    it('answers 400 for bad PATCH requests and leaves the user as it was', async () => {
      const made = await scim.post('/Users', oktaUser());
      const id = made.body.id;
      const cases: [unknown, string][] = [
        [{ Operations: [{ op: 'replace', value: { active: false } }] }, 'invalidSyntax'],
        [patchOp(), 'invalidSyntax'],
        [patchOp({ op: 'frobnicate', path: 'active', value: false }), 'invalidSyntax'],
        [patchOp({ op: 'remove' }), 'noTarget'],
        [patchOp({ op: 'replace', path: 'active' }), 'invalidSyntax'],
        [patchOp({ op: 'replace', path: 'nosuch', value: 1 }), 'invalidPath'],
        [patchOp({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }), 'invalidPath'],
        [patchOp({ op: 'replace', path: 'groups', value: [] }), 'mutability'],
        [patchOp({ op: 'replace', path: 'id', value: 'x' }), 'mutability'],
        [patchOp({ op: 'remove', path: 'userName' }), 'invalidValue'],
        // the first op is fine, the second is not: nothing is applied
        [
          patchOp(
            { op: 'replace', path: 'active', value: false },
            { op: 'replace', path: 'active', value: 'nope' },
          ),
          'invalidValue',
        ],
      ];
      for (const [body, scimType] of cases)
        expectScimError(await scim.patch(`/Users/${id}`, body), 400, scimType);
      const after = await scim.get(`/Users/${id}`);
      expect(after.body).toEqual(made.body);
    });
  });
});
