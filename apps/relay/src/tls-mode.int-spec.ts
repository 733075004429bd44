import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AgentSessionClaims } from '@fdt/protocol';
import { testEnv } from '@fdt/testing';
import { loadTlsMaterial, type TlsMaterial } from './ingress/tls/dev-ca.js';
import { type Edge, startEdge, visit } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { HandshakeRefused } from './testing/test-agent.js';

type Hosts = AgentSessionClaims['hosts'];

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.reply;
}

/** The certificate a TLS client with SNI `servername` is shown on `port` (not verified). */
function peerCertificate(port: number, servername: string): Promise<X509Certificate | undefined> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    s.once('secureConnect', () => {
      resolve(s.getPeerX509Certificate());
      s.destroy();
    });
    s.once('error', reject);
  });
}

function httpsStatus(port: number, servername: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port,
          servername,
          headers: { host: servername },
          rejectUnauthorized: false,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject);
  });
}

describe('TLS mode per host at the relay: passthrough hosts are never terminated, terminate hosts never passed through', () => {
  let edge: Edge;
  let web: Listening<http.Server>;
  let secure: Listening<tls.Server>;
  let originCa: { material: TlsMaterial; dir: string };
  let originCert: X509Certificate;
  const hosts: Hosts = [
    { name: 'vault.customer.test', host: 'vault.customer.test', tls: 'passthrough' },
    { name: 'shop.customer.test', host: 'shop.customer.test', tls: 'terminate' },
    { name: '*.apps.customer.test', host: '*.apps.customer.test', tls: 'terminate' },
    { name: 'ledger', host: 'ledger.localhost', tls: 'passthrough' },
  ];

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    web = await listen(http.createServer((req, res) => res.end(`web ${req.headers.host}`)));
    const dir = mkdtempSync(join(tmpdir(), 'fdt-origin-ca-'));
    originCa = {
      material: await loadTlsMaterial({ dir, baseDomain: 'customer.test', publicHost: 'customer.test' }),
      dir,
    };
    const pair = await originCa.material.issue?.('vault.customer.test');
    if (!pair) throw new Error('no issuer');
    originCert = new X509Certificate(pair.certPem);
    secure = await listen(
      tls.createServer({ cert: pair.certPem, key: pair.keyPem }, (s) => s.end('from the origin')),
    );
  });
  afterAll(async () => {
    await edge?.close();
    await Promise.all([web?.close(), secure?.close()]);
    rmSync(originCa.dir, { recursive: true, force: true });
  });

  it('refuses an http tunnel on a passthrough domain with policy_denied and the reason', async () => {
    const reply = await refusal(
      edge.agent([{ id: 'v', proto: 'http', domain: 'vault.customer.test', local: web.port }], { hosts }),
    );
    expect(reply).toMatchObject({ code: 'policy_denied', tunnelId: 'v' });
    expect(reply.message).toMatch(/TLS passthrough: serve it with a tls tunnel/);
  });

  it('refuses a tls tunnel on a terminate domain (and on a wildcard name under it) with policy_denied', async () => {
    for (const domain of ['shop.customer.test', 'api.apps.customer.test']) {
      const reply = await refusal(
        edge.agent([{ id: 's', proto: 'tls', domain, local: secure.port }], { hosts }),
      );
      expect(reply).toMatchObject({ code: 'policy_denied' });
      expect(reply.message).toMatch(/TLS terminate at the edge/);
    }
  });

  it('passes a passthrough domain through to the agent and refuses it on the HTTP listener', async () => {
    const agent = await edge.agent(
      [{ id: 'v', proto: 'tls', domain: 'VAULT.customer.test', local: secure.port }],
      { hosts },
    );
    // The visitor sees the origin's own certificate: the relay never terminated it.
    const cert = await peerCertificate(edge.relay.ports.https, 'vault.customer.test');
    expect(cert?.fingerprint256).toBe(originCert.fingerprint256);
    const plain = await visit(edge.relay.ports.http, 'vault.customer.test');
    expect(plain.status).toBe(404);
    expect(plain.text).not.toContain('from the origin');
    await agent.close();
  });

  it('terminates a terminate domain with the relay certificate, on HTTPS and HTTP, and serves one label under a wildcard', async () => {
    const agent = await edge.agent(
      [
        { id: 's', proto: 'http', domain: 'shop.customer.test', local: web.port },
        { id: 'a', proto: 'http', domain: 'api.apps.customer.test', local: web.port },
      ],
      { hosts },
    );
    const cert = await peerCertificate(edge.relay.ports.https, 'shop.customer.test');
    expect(cert?.fingerprint256).not.toBe(originCert.fingerprint256);
    expect(await httpsStatus(edge.relay.ports.https, 'shop.customer.test')).toBe(200);
    expect((await visit(edge.relay.ports.http, 'shop.customer.test')).text).toBe('web shop.customer.test');
    expect((await visit(edge.relay.ports.http, 'api.apps.customer.test')).text).toBe(
      'web api.apps.customer.test',
    );
    await agent.close();
  });

  it('refuses domains the token does not carry: another org’s, two labels under a wildcard, the wildcard parent', async () => {
    for (const domain of ['other-org.customer.test', 'a.b.apps.customer.test', 'apps.customer.test']) {
      const reply = await refusal(
        edge.agent([{ id: 'x', proto: 'http', domain, local: web.port }], { hosts }),
      );
      expect(reply).toMatchObject({ code: 'policy_denied' });
      expect(reply.message).toMatch(/not a verified domain of your org/);
    }
  });

  it("attack: another org's wildcard never takes a host that an org's exact domain serves", async () => {
    const owner = await edge.agent(
      [{ id: 's', proto: 'http', domain: 'team.apps.customer.test', local: web.port }],
      {
        sub: 'at-owner',
        org: 'org-owner',
        hosts: [{ name: 'team.apps.customer.test', host: 'team.apps.customer.test', tls: 'terminate' }],
      },
    );
    const reply = await refusal(
      edge.agent([{ id: 'w', proto: 'http', domain: 'team.apps.customer.test', local: web.port }], {
        sub: 'at-wild',
        org: 'org-wild',
        hosts: [{ name: '*.apps.customer.test', host: '*.apps.customer.test', tls: 'terminate' }],
      }),
    );
    expect(reply).toMatchObject({ code: 'name_taken' });
    expect((await visit(edge.relay.ports.http, 'team.apps.customer.test')).text).toBe(
      'web team.apps.customer.test',
    );
    await owner.close();
  });

  it('keeps a reserved name in the TLS mode it was reserved with', async () => {
    const reply = await refusal(
      edge.agent([{ id: 'l', proto: 'http', name: 'ledger', local: web.port }], { hosts }),
    );
    expect(reply).toMatchObject({ code: 'policy_denied' });
    const agent = await edge.agent([{ id: 'l', proto: 'tls', name: 'ledger', local: secure.port }], {
      hosts,
    });
    expect((await peerCertificate(edge.relay.ports.https, 'ledger.localhost'))?.fingerprint256).toBe(
      originCert.fingerprint256,
    );
    await agent.close();
  });
});
