import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  encodeFrame,
  type Hello,
  PROTOCOL_VERSION,
  readOneFrame,
  type RelayHandshakeReply,
} from '@fdt/protocol';
import { type Stack, startStack, waitFor } from './stack.js';

// Issue 11, item 5, across real processes (api and relay from dist, PostgreSQL, Redis): an
// authtoken revoked through the api keeps its still-unexpired session JWT out of the relay,
// reserved name included, on reconnect and on a relay started after the revocation.

const PASSWORD = 'e2e password long enough';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on response fields directly
type Json = Record<string, any>;

async function call(apiUrl: string, method: string, path: string, bearer: string, body?: unknown) {
  const res = await fetch(apiUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
}

/** An agent speaking the handshake by hand with a given session JWT: the relay's first answer, and the open link. */
async function hello(
  stack: Stack,
  token: string,
  name: string,
): Promise<{ reply: RelayHandshakeReply; socket: tls.TLSSocket }> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: stack.ports.agent,
    servername: 'localhost',
    ca: readFileSync(join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem')),
  });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  const h: Hello = {
    type: 'hello',
    version: PROTOCOL_VERSION,
    token,
    tunnels: [{ id: 'w', proto: 'http', name }],
  };
  socket.write(encodeFrame(h));
  const { value } = await readOneFrame(socket, 10_000);
  return { reply: value as RelayHandshakeReply, socket };
}

function closed(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.on('data', () => undefined); // read (and drop) what the relay says until it closes
    socket.resume();
  });
}

describe('revoked agent sessions stay out (real api and relay)', () => {
  let stack: Stack;
  const sockets: tls.TLSSocket[] = [];

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await stack?.close();
  });

  it('a session JWT of an authtoken revoked through the api gets auth_failed on reconnect, reserved name included, also on a relay started after the revocation', async () => {
    const api = stack.apiUrl;
    const tag = randomBytes(3).toString('hex');
    const signup = await fetch(`${api}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `owner-${tag}@example.test`, password: PASSWORD, orgName: 'e2e revoke' }),
    });
    expect(signup.status).toBe(201);
    const owner = ((await signup.json()) as { accessToken: string }).accessToken;
    const name = `payroll-${tag}`;
    expect((await call(api, 'POST', '/api/v1/reserved-names', owner, { name })).status).toBe(201);
    const at = await call(api, 'POST', '/api/v1/authtokens', owner, { description: 'stolen laptop' });
    expect(at.status).toBe(201);
    const spare = await call(api, 'POST', '/api/v1/authtokens', owner, { description: 'desk' });

    // The session JWT an attacker copied from the laptop (valid for the session TTL, an hour).
    const sessionOf = (authtoken: string) =>
      waitFor('an agent session (the relay has heartbeated)', async () => {
        const s = await call(api, 'POST', '/api/v1/agent/sessions', authtoken, {});
        return s.status === 201 ? (s.body.token as string) : undefined;
      });
    const stolen = await sessionOf(at.body.token as string);
    const first = await hello(stack, stolen, name);
    sockets.push(first.socket);
    expect(first.reply).toMatchObject({ type: 'welcome', tunnels: [{ id: 'w', name }] });

    // The owner revokes the authtoken: the relay drops the link...
    const gone = closed(first.socket);
    expect((await call(api, 'DELETE', `/api/v1/authtokens/${at.body.id}`, owner)).status).toBe(204);
    await gone;

    // ...and the same, still unexpired JWT cannot come back for the reserved name.
    const again = await hello(stack, stolen, name);
    sockets.push(again.socket);
    expect(again.reply).toMatchObject({ type: 'error', code: 'auth_failed' });

    // A relay started after the revocation loads the list before taking agents.
    await stack.relay.stop();
    stack.relay = await stack.startRelay();
    const restarted = await hello(stack, stolen, name);
    sockets.push(restarted.socket);
    expect(restarted.reply).toMatchObject({ type: 'error', code: 'auth_failed' });

    // The org's other authtokens are not affected: the name is free for them.
    const fine = await hello(stack, await sessionOf(spare.body.token as string), name);
    sockets.push(fine.socket);
    expect(fine.reply).toMatchObject({ type: 'welcome', tunnels: [{ id: 'w', name }] });
  });
});
