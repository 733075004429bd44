import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChallTestSrv, type Pebble, startChallTestSrv, startPebble } from '@fdt/testing';
import { CLI, fdt } from './cli.js';
import {
  freePort,
  newAuthtoken,
  type Proc,
  ROOT,
  spawnNode,
  type Stack,
  startStack,
  waitFor,
} from './stack.js';

// The whole custom-domain flow as a user runs it, on real processes only: the built CLI adds and
// verifies the domain through the api, the DNS is pebble-challtestsrv, the worker (built dist)
// orders the certificate from Debian's pebble, pebble validates HTTP-01 against the relay's HTTP
// port, and the relay serves the issued certificate on its HTTPS port to a client and an agent.

const HOST = 'app.customer.test';

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const p = spawnNode(CLI, args, env);
  const code = await new Promise<number | null>((r) => p.child.on('exit', (c) => r(c)));
  return { code, out: p.output() };
}

const json = <T>(out: string): T => JSON.parse(out.slice(out.indexOf('{'))) as T;

/** The certificate a TLS client gets from the relay's HTTPS port with SNI `servername`, verified against `ca`. */
function handshake(
  port: number,
  servername: string,
  ca: string,
): Promise<{ authorized: boolean; peer: tls.DetailedPeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      resolve({ authorized: socket.authorized, peer: socket.getPeerCertificate(true) });
      socket.end();
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** GET https://<servername>:<port>/ on 127.0.0.1, trusting only `ca` (the request fails on any other chain). */
function httpsGet(port: number, servername: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, servername, ca, headers: { host: `${servername}:${port}` }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

interface DomainView {
  id: string;
  hostname: string;
  status: string;
  verification: { records: { type: string; name: string; value: string }[] };
  certificate: { status: string; notAfter: string | null; issuer: string | null; lastError: string | null };
}

describe('custom domain with a managed certificate, end to end (CLI, api, worker, relay, pebble, challtestsrv)', () => {
  let stack: Stack;
  let dns: ChallTestSrv;
  let pebble: Pebble;
  let worker: Proc;
  let origin: http.Server;
  let originPort: number;
  let env: Record<string, string>;
  let accessToken: string;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    stack = await startStack({ FDT_DNS_RESOLVERS: dns.dnsAddress });
    // Pebble's VA resolves the hostname through the same DNS and validates HTTP-01 on the relay's HTTP port.
    pebble = await startPebble({
      dnsServer: dns.dnsAddress,
      httpPort: stack.ports.http,
      tlsPort: stack.ports.https,
    });
    const workerAdmin = await freePort();
    worker = spawnNode(join(ROOT, 'apps/worker/dist/main.js'), [], {
      ...stack.env,
      FDT_WORKER_ADMIN_PORT: String(workerAdmin),
      FDT_ACME_DIRECTORY_URL: pebble.directoryUrl,
      FDT_ACME_CA_FILE: pebble.caFile,
      FDT_ACME_RETRY_BASE: '2',
    });
    await waitFor(
      `worker /readyz (output: ${worker.output().slice(-600)})`,
      async () => (await fetch(`http://127.0.0.1:${workerAdmin}/readyz`)).ok,
      30_000,
    );
    origin = http.createServer((req, res) => res.end(`origin for ${req.headers.host}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as net.AddressInfo).port;

    const t = await newAuthtoken(stack.apiUrl);
    accessToken = t.accessToken;
    const key = await fetch(`${stack.apiUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.accessToken}` },
      body: JSON.stringify({ name: 'domains acme e2e' }),
    });
    const home = mkdtempSync(join(os.tmpdir(), 'fdt-home-'));
    env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      FDT_API_URL: stack.apiUrl,
      FDT_AUTHTOKEN: t.authtoken,
      FDT_API_KEY: ((await key.json()) as { key: string }).key,
      FDT_CA_FILE: join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem'),
    };
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await pebble?.stop();
    await dns?.stop();
    await new Promise((r) => origin?.close(r));
  });

  it("fdt domain add → TXT and A in DNS → fdt domain verify → the worker gets a certificate by HTTP-01 from the relay → the api shows it active and the relay serves a chain to pebble's root, also to an agent's --domain tunnel", async () => {
    const added = await run(['domain', 'add', HOST, '--json'], env);
    expect(added.code).toBe(0);
    const domain = json<DomainView>(added.out);
    expect(domain).toMatchObject({ hostname: HOST, status: 'pending_verification' });
    const txt = domain.verification.records.find((r) => r.type === 'TXT');
    expect(txt?.name).toBe(`_fdt-challenge.${HOST}`);
    await dns.setTxt(txt?.name ?? '', txt?.value ?? '');
    await dns.addA(HOST, ['127.0.0.1']);

    const verified = await run(['domain', 'verify', HOST, '--json'], env);
    expect(verified.code).toBe(0);
    expect(json<DomainView>(verified.out).status).toBe('verified');

    const get = async () => {
      const res = await fetch(`${stack.apiUrl}/api/v1/domains/${domain.id}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      if (!res.ok) throw new Error(`GET /api/v1/domains/:id: ${res.status} ${await res.text()}`);
      return (await res.json()) as DomainView;
    };
    const active = await waitFor(
      'certificate status active',
      async () => {
        const d = await get();
        if (d.certificate.status === 'failed')
          throw new Error(`issuance failed: ${d.certificate.lastError}\n${worker.output().slice(-2000)}`);
        return d.certificate.status === 'active' ? d : undefined;
      },
      90_000,
    ).catch((e: unknown) => {
      throw new Error(
        `${String(e)}\nworker: ${worker.output().slice(-2000)}\nrelay: ${stack.relay.output().slice(-2000)}`,
      );
    });
    expect(new Date(active.certificate.notAfter ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(active.certificate.issuer).toMatch(/Pebble/i);
    expect(active.certificate.lastError).toBeNull();

    // The relay got it over pub/sub, without a restart: SNI app.customer.test → a chain to pebble's root.
    const root = await pebble.roots();
    const served = await waitFor(
      'the relay to serve the issued certificate',
      async () => {
        const h = await handshake(stack.ports.https, HOST, root);
        return h.authorized ? h : undefined;
      },
      20_000,
    );
    expect(served.peer.subjectaltname).toContain(`DNS:${HOST}`);
    const leaf = new X509Certificate(served.peer.raw);
    const intermediate = new X509Certificate(served.peer.issuerCertificate.raw);
    expect(leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.verify(new X509Certificate(root).publicKey)).toBe(true);
    expect(new Date(leaf.validTo).getTime()).toBe(new Date(active.certificate.notAfter ?? 0).getTime());
    // Any other name still gets the relay's default certificate, which pebble's root does not sign.
    expect((await handshake(stack.ports.https, 'other.customer.test', root)).authorized).toBe(false);

    // An agent of the org serving --domain is reached over HTTPS with that certificate (trusting only pebble's root).
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--domain', HOST], env);
    try {
      await cli.waitEvent('tunnel_online');
      const r = await httpsGet(stack.ports.https, HOST, root);
      expect(r).toEqual({ status: 200, body: `origin for ${HOST}:${stack.ports.https}` });
    } finally {
      await cli.stop('SIGINT');
    }
  }, 180_000);
});
