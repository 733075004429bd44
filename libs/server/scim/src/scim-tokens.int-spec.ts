import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { type Owner, ScimClient, type ScimHarness, startScimHarness } from '../test/scim-harness.js';

// SCIM tokens (REST admin routes, RBAC, audit), bearer authentication on /scim/v2, discovery
// (RFC 7644 §4) and the transport: media types, SCIM errors for what precedes the handlers.

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

describe('SCIM tokens, authentication and discovery', () => {
  let h: ScimHarness;
  let owner: Owner;

  beforeAll(async () => {
    h = await startScimHarness();
    owner = await h.signup();
  });
  afterAll(() => h?.close());

  const expect401 = (res: { status: number; body: Record<string, unknown>; headers: Headers }) => {
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body).toEqual({ schemas: [ERROR], status: '401', detail: expect.any(String) });
  };

  it('creates a token shown once (fdt_scim_…, stored as SHA-256), lists it without the secret, audits it', async () => {
    const res = await owner.client.post('/api/v1/scim/tokens', { description: 'Okta' });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^fdt_scim_[A-Za-z0-9_-]{43}$/);
    expect(res.body).toMatchObject({
      description: 'Okta',
      prefix: res.body.token.slice(0, 14),
      createdBy: owner.userId,
    });
    const [row] = await h.ds.query('SELECT token_hash FROM scim_tokens WHERE id = $1', [res.body.id]);
    const { createHash } = await import('node:crypto');
    expect(row.token_hash).toBe(createHash('sha256').update(res.body.token).digest('hex'));
    const list = await owner.client.get('/api/v1/scim/tokens');
    expect(list.status).toBe(200);
    const item = list.body.items.find((t: { id: string }) => t.id === res.body.id);
    expect(item).toEqual({
      id: res.body.id,
      description: 'Okta',
      prefix: res.body.prefix,
      createdBy: owner.userId,
      lastUsedAt: null,
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    const audit = await h.ds.query(
      `SELECT actor_type, summary FROM audit_events WHERE action = 'scim_token.created' AND target_id = $1`,
      [res.body.id],
    );
    expect(audit).toEqual([
      { actor_type: 'user', summary: { description: 'Okta', prefix: res.body.prefix } },
    ]);
  });

  it('enforces the RBAC of the token and group admin routes (owner and admin only)', async () => {
    const made = await owner.client.post('/api/v1/scim/tokens', {});
    const clients: Record<string, TestClient> = { owner: owner.client };
    for (const role of ['admin', 'member', 'viewer', 'billing'])
      clients[role] = (await h.member(owner.client, role)).client;
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/scim/tokens'],
      ['POST', '/api/v1/scim/tokens', { description: 'rbac' }],
      ['POST', `/api/v1/scim/tokens/${made.body.id}/rotate`],
      ['GET', '/api/v1/scim/groups'],
    ];
    const failures: string[] = [];
    for (const [role, client] of Object.entries(clients)) {
      for (const [method, path, json] of routes) {
        const res = await client.request(method, path, json === undefined ? {} : { json });
        const allowed = role === 'owner' || role === 'admin';
        const ok = allowed ? res.status >= 200 && res.status < 300 && res.status !== 204 : res.status === 403;
        // rotate revokes the token it rotates: a second rotation of the same id is 404
        if (!ok && !(allowed && path.endsWith('/rotate') && res.status === 404)) {
          failures.push(`${role} ${method} ${path}: ${res.status}`);
        }
      }
      const del = await client.delete(
        `/api/v1/scim/tokens/${(await owner.client.post('/api/v1/scim/tokens', {})).body.id}`,
      );
      if (del.status !== (role === 'owner' || role === 'admin' ? 204 : 403))
        failures.push(`${role} DELETE: ${del.status}`);
    }
    expect(failures).toEqual([]);
    expect((await h.client().get('/api/v1/scim/tokens')).status).toBe(401);
  });

  it('validates token admin input (problem+json, nothing created)', async () => {
    const before = (await owner.client.get('/api/v1/scim/tokens')).body.items.length;
    const long = await owner.client.post('/api/v1/scim/tokens', { description: 'x'.repeat(201) });
    expect(long.status).toBe(400);
    expect(long.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await owner.client.post('/api/v1/scim/tokens', { description: 'x', extra: true })).status).toBe(
      400,
    );
    expect((await owner.client.delete('/api/v1/scim/tokens/not-a-uuid')).status).toBe(400);
    const unknown = await owner.client.delete('/api/v1/scim/tokens/010101ab-0000-4000-8000-000000000000');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'scim_token_not_found']);
    expect((await owner.client.get('/api/v1/scim/tokens')).body.items.length).toBe(before);
  });

  it('authenticates /scim/v2 with the org’s live SCIM tokens only', async () => {
    const { client: scim, token, id } = await h.scim(owner.client);
    expect((await scim.get('/Users')).status).toBe(200);
    const anon = h.client();
    expect401(await anon.get('/scim/v2/Users'));
    expect401(await anon.get('/scim/v2/Users', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expect401(await anon.get('/scim/v2/Users', { bearer: `fdt_scim_${'x'.repeat(43)}` }));
    expect401(await anon.get('/scim/v2/Users', { bearer: 'garbage' }));
    // a session access token or an API key is not a SCIM token
    expect401(await anon.get('/scim/v2/Users', { bearer: owner.client.bearer }));
    const key = await owner.client.post('/api/v1/api-keys', { name: 'k' });
    expect401(await anon.get('/scim/v2/Users', { bearer: key.body.key }));
    // and a SCIM token opens nothing under /api/v1
    expect((await anon.get('/api/v1/me', { bearer: token })).status).toBe(401);
    // revoked: 401 on the very next request
    expect((await owner.client.delete(`/api/v1/scim/tokens/${id}`)).status).toBe(204);
    expect401(await scim.get('/Users'));
    expect401(await scim.get('/ServiceProviderConfig'));
  });

  it('rotates: the new token works, the old one is refused at once; both audited', async () => {
    const { client: old, id } = await h.scim(owner.client);
    const rotated = await owner.client.post(`/api/v1/scim/tokens/${id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.id).not.toBe(id);
    expect(rotated.body.description).toBe('test IdP');
    expect401(await old.get('/Users'));
    const fresh = new ScimClient(h.client(), rotated.body.token);
    expect((await fresh.get('/Users')).status).toBe(200);
    const actions = await h.ds.query(
      `SELECT action FROM audit_events WHERE org_id = $1 AND (target_id = $2 OR target_id = $3) ORDER BY seq`,
      [owner.orgId, id, rotated.body.id],
    );
    expect(actions.map((a: { action: string }) => a.action)).toEqual([
      'scim_token.created',
      'scim_token.rotated',
      'scim_token.used',
    ]);
  });

  it('records last use and audits a token’s use once per hour (the first request), with the token as actor', async () => {
    const { client: scim, id } = await h.scim(owner.client);
    for (let i = 0; i < 3; i++) expect((await scim.get('/Users')).status).toBe(200);
    const uses = await h.ds.query(
      `SELECT actor_type, actor_id, actor_label, summary FROM audit_events WHERE action = 'scim_token.used' AND target_id = $1`,
      [id],
    );
    expect(uses).toHaveLength(1);
    expect(uses[0]).toMatchObject({
      actor_type: 'scim',
      actor_id: id,
      summary: { firstRequest: 'GET /scim/v2/Users' },
    });
    expect(uses[0].actor_label).toMatch(/^SCIM token fdt_scim_/);
    const listed = (await owner.client.get('/api/v1/scim/tokens')).body.items.find(
      (t: { id: string }) => t.id === id,
    );
    expect(new Date(listed.lastUsedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // an hour later (and a minute after the last recorded use), the next request is audited again
    await h.ds.query(
      `UPDATE scim_tokens SET last_used_at = now() - interval '61 minutes', last_use_audited_at = now() - interval '61 minutes' WHERE id = $1`,
      [id],
    );
    await scim.get('/Groups');
    await scim.get('/Groups');
    const again = await h.ds.query(
      `SELECT summary FROM audit_events WHERE action = 'scim_token.used' AND target_id = $1 ORDER BY seq`,
      [id],
    );
    expect(again.map((e: { summary: { firstRequest: string } }) => e.summary.firstRequest)).toEqual([
      'GET /scim/v2/Users',
      'GET /scim/v2/Groups',
    ]);
  });

  it('limits live tokens per org', async () => {
    const org = await h.signup();
    let last;
    for (let i = 0; i < 21; i++) last = await org.client.post('/api/v1/scim/tokens', {});
    expect(last?.status).toBe(409);
    expect(last?.body.code).toBe('scim_token_limit');
  });

  describe('discovery (RFC 7644 §4)', () => {
    let scim: ScimClient;
    beforeAll(async () => {
      scim = (await h.scim(owner.client)).client;
    });

    it('serves /ServiceProviderConfig', async () => {
      const res = await scim.get('/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: 200 },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: true },
        authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken', primary: true })],
      });
    });

    it('serves /ResourceTypes and each type', async () => {
      const res = await scim.get('/ResourceTypes');
      expect(res.body.schemas).toEqual([LIST]);
      expect(res.body.totalResults).toBe(2);
      expect(res.body.Resources.map((r: { id: string; endpoint: string }) => [r.id, r.endpoint])).toEqual([
        ['User', '/Users'],
        ['Group', '/Groups'],
      ]);
      const user = await scim.get('/ResourceTypes/User');
      expect(user.body.schema).toBe('urn:ietf:params:scim:schemas:core:2.0:User');
      expect((await scim.get('/ResourceTypes/Device')).status).toBe(404);
    });

    it('serves /Schemas with the attributes we keep and their characteristics', async () => {
      const res = await scim.get('/Schemas');
      expect(res.body.totalResults).toBe(2);
      const user = await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
      expect(user.status).toBe(200);
      const names = user.body.attributes.map((a: { name: string }) => a.name);
      expect(names).toEqual(['userName', 'externalId', 'name', 'displayName', 'active', 'emails', 'groups']);
      expect(user.body.attributes[0]).toMatchObject({
        name: 'userName',
        required: true,
        caseExact: false,
        uniqueness: 'server',
      });
      expect(user.body.attributes.find((a: { name: string }) => a.name === 'groups').mutability).toBe(
        'readOnly',
      );
      const group = await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group');
      expect(group.body.attributes.map((a: { name: string }) => a.name)).toEqual([
        'displayName',
        'externalId',
        'members',
      ]);
    });

    it('answers unknown SCIM paths and methods with a SCIM 404, never problem+json', async () => {
      for (const [method, path] of [
        ['GET', '/Bulk'],
        ['POST', '/Bulk'],
        ['GET', '/Me'],
        ['GET', ''],
        ['GET', '/Users/a/b'],
      ]) {
        const res = await scim.request(method, path, method === 'POST' ? {} : undefined);
        expect([
          method,
          path,
          res.status,
          res.headers.get('content-type')?.split(';')[0],
          res.body.schemas,
        ]).toEqual([method, path, 404, 'application/scim+json', [ERROR]]);
      }
    });

    it('accepts application/json bodies too, and answers bad JSON and oversize bodies in the SCIM Error schema', async () => {
      const body = JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: `json ${Date.now()}`,
      });
      const json = await scim.http.request('POST', '/scim/v2/Groups', {
        bearer: scim.token,
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(json.status).toBe(201);
      const bad = await scim.http.request('PATCH', '/scim/v2/Groups/x', {
        bearer: scim.token,
        headers: { 'content-type': 'application/scim+json; charset=utf-8' },
        body: '{nope',
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
      const huge = await scim.http.request('POST', '/scim/v2/Users', {
        bearer: scim.token,
        headers: { 'content-type': 'application/scim+json' },
        body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ schemas: [ERROR], status: '413' });
    });
  });
});
