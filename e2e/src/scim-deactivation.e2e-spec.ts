import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ClosedEvent, forward, type Listener } from '@fdt/agent';
import { type Stack, startStack, waitFor } from './stack.js';
import { visit } from './visitor.js';

// Issue 5's promise, across real processes: a SCIM deactivation ends that person's access on
// their very next request: the admin session, the API key, and the agent connection.

const PASSWORD = 'e2e password long enough';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on response fields directly
type Json = Record<string, any>;

async function call(
  apiUrl: string,
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Json }> {
  const res = await fetch(apiUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

describe('SCIM deactivation ends a person’s access on their very next request', () => {
  let stack: Stack;
  let origin: http.Server;
  let listener: Listener | undefined;

  beforeAll(async () => {
    stack = await startStack();
    origin = http.createServer((req, res) => res.end(`origin ${req.url}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await listener?.close().catch(() => undefined);
    origin?.closeAllConnections();
    origin?.close();
    await stack?.close();
  });

  it('revokes the admin session, the API key and disconnects the agent', async () => {
    const api = stack.apiUrl;
    const tag = randomBytes(3).toString('hex');
    // An org, its owner, and the person: an admin with a password sign-in.
    const signup = await fetch(`${api}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `owner-${tag}@example.test`, password: PASSWORD, orgName: 'e2e scim' }),
    });
    const owner = (await signup.json()) as { accessToken: string };
    const email = `person-${tag}@example.test`;
    // Invited through a shared link (no SMTP here) and accepted with a password of their own.
    const invited = await call(api, 'POST', '/api/v1/members/invitations', owner.accessToken, {
      email,
      role: 'admin',
    });
    expect(invited.status).toBe(201);
    const token = new URL(invited.body.inviteUrl as string).hash.replace('#token=', '');
    const accepted = await fetch(`${api}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: PASSWORD }),
    });
    expect(accepted.status).toBe(200);
    const login = await fetch(`${api}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const session = ((await login.json()) as { accessToken: string }).accessToken;
    const apiKey = (await call(api, 'POST', '/api/v1/api-keys', session, { name: 'laptop' })).body
      .key as string;
    const authtoken = (await call(api, 'POST', '/api/v1/authtokens', session, { description: 'laptop' })).body
      .token as string;

    // Their agent is online and serving.
    const name = `scim-${tag}`;
    listener = await forward({
      addr: (origin.address() as net.AddressInfo).port,
      authtoken,
      apiUrl: api,
      name,
      ca: readFileSync(join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem')),
    });
    const closed = new Promise<ClosedEvent>((resolve) => listener?.once('closed', resolve));
    expect((await visit(listener.url(), { path: '/before' })).body).toBe('origin /before');
    expect((await call(api, 'GET', '/api/v1/me', session)).status).toBe(200);
    expect((await call(api, 'GET', '/api/v1/me', apiKey)).status).toBe(200);

    // The IdP (SCIM token of the org) finds the person and deactivates them, as Okta does.
    const scimToken = (
      await call(api, 'POST', '/api/v1/scim/tokens', owner.accessToken, { description: 'Okta' })
    ).body.token as string;
    const found = await call(
      api,
      'GET',
      `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${email.toUpperCase()}"`)}`,
      scimToken,
    );
    expect(found.body.totalResults).toBe(1);
    const id = found.body.Resources[0].id as string;
    const patched = await call(
      api,
      'PATCH',
      `/scim/v2/Users/${id}`,
      scimToken,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      },
      'application/scim+json',
    );
    expect([patched.status, patched.body.active]).toEqual([200, false]);

    // The very next request of each credential is refused.
    const me = await call(api, 'GET', '/api/v1/me', session);
    expect([me.status, me.body.code]).toEqual([401, 'session_revoked']);
    const viaKey = await call(api, 'GET', '/api/v1/me', apiKey);
    expect([viaKey.status, viaKey.body.code]).toEqual([401, 'token_invalid']);

    // The relay disconnects the agent; it cannot come back with the revoked authtoken and stops.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      closed,
      new Promise<ClosedEvent>((_, reject) => {
        timer = setTimeout(() => reject(new Error('agent still running after 10 s')), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(ended.error?.code).toBe('auth_failed');
    // The public URL no longer reaches the origin: the relay answers that the agent is offline
    // (docs/errors.md), and the api shows the tunnel offline.
    const after = await visit(`http://${name}.localhost:${stack.ports.http}`, { path: '/after' });
    expect([after.status, after.headers['fdt-error-code']]).toEqual([503, 'agent_offline']);
    await waitFor('the tunnel offline in the api', async () => {
      const tunnels = await call(api, 'GET', '/api/v1/tunnels', owner.accessToken);
      const t = (tunnels.body.items as { name: string; status: string }[]).find((x) => x.name === name);
      return t?.status === 'offline';
    });
  });
});
