import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AgentSessionClaims, edgeBasicAuthKey, edgeBasicAuthVerifier } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { type Edge, startEdge, visit } from '../testing/harness.js';
import { listen, type Listening } from '../testing/origins.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('a custom domain bound to a reserved name takes that name’s edge policy from the handshake', () => {
  let edge: Edge;
  let origin: Listening<http.Server>;
  let verifier: (org: string, tunnel: string, user: string, password: string) => string;
  // What the api puts in a session token for a verified domain bound to the reserved name
  // `vault` (PATCH /api/v1/domains/:id {boundName}): the domain claimed under the name.
  const hosts: AgentSessionClaims['hosts'] = [
    { name: 'vault', host: 'vault.localhost', tls: 'terminate' },
    { name: 'vault', host: 'app.customer.test', tls: 'terminate' },
    { name: 'shop.customer.test', host: 'shop.customer.test', tls: 'terminate' },
  ];

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    origin = await listen(http.createServer((req, res) => res.end(`origin ${req.headers.host}`)));
    const key = edgeBasicAuthKey(edge.config.relay.secret);
    verifier = (org, tunnel, user, password) => edgeBasicAuthVerifier(key, { org, tunnel }, user, password);
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it("asks a visitor of `--domain app.customer.test` for the bound name's basic auth on the first request", async () => {
    edge.api.policies.set('org-bound/vault', {
      basicAuth: [{ user: 'ops', verifier: verifier('org-bound', 'vault', 'ops', 'bound secret') }],
    });
    const agent = await edge.agent([{ id: 'w', proto: 'http', domain: 'app.customer.test', local: origin.port }], {
      sub: 'at-bound',
      org: 'org-bound',
      hosts,
      tunnelPolicies: { vault: { basicAuthUsers: ['ops'] } },
    });
    try {
      expect(agent.welcome.tunnels[0]).toMatchObject({ name: 'vault', host: 'app.customer.test' });
      const first = await visit(edge.relay.ports.http, 'app.customer.test');
      expect(first.status).toBe(401);
      expect(first.text).not.toContain('origin');
      const ok = await visit(edge.relay.ports.http, 'app.customer.test', {
        headers: { authorization: basic('ops', 'bound secret') },
      });
      expect(ok.status).toBe(200);
      expect(ok.text).toBe('origin app.customer.test');
      // Looked up under the bound name, with the relay secret.
      expect(edge.api.requests.some((r) => r.url === '/api/v1/relays/policies/org-bound/vault')).toBe(true);
    } finally {
      await agent.close();
    }
  });

  it("applies the bound name's other rules too, and an unbound domain keeps the org policy", async () => {
    const agent = await edge.agent(
      [
        { id: 'bound', proto: 'http', domain: 'app.customer.test', local: origin.port },
        { id: 'free', proto: 'http', domain: 'shop.customer.test', local: origin.port },
      ],
      {
        sub: 'at-deny',
        org: 'org-deny',
        hosts,
        // The reserved name refuses loopback visitors; the org-wide policy does not.
        tunnelPolicies: { vault: { denyCidrs: ['127.0.0.0/8'] } },
      },
    );
    try {
      expect((await visit(edge.relay.ports.http, 'app.customer.test')).status).toBe(403);
      const free = await visit(edge.relay.ports.http, 'shop.customer.test');
      expect(free.status).toBe(200);
      expect(free.text).toBe('origin shop.customer.test');
    } finally {
      await agent.close();
    }
  });
});
