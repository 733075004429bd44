import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testEnv } from '@fdt/testing';
import { loadTlsMaterial, type TlsMaterial } from './ingress/tls/dev-ca.js';
import { type Edge, hostOf, startEdge } from './testing/harness.js';
import { listen, type Listening, tcpEcho } from './testing/origins.js';
import { rawHandshake } from './testing/test-agent.js';

const env = () => testEnv('postgres://unused@127.0.0.1:1/unused');

/** Another CA, standing for the certificates a user's own service or domain has. */
async function foreignCa(): Promise<{ material: TlsMaterial; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fdt-foreign-ca-'));
  return {
    material: await loadTlsMaterial({ dir, baseDomain: 'example.test', publicHost: 'example.test' }),
    dir,
  };
}

/** Sends `payload` to a TCP port; resolves with what came back once `expect` bytes arrived or it closed. */
function roundTrip(port: number, payload: string, expect = payload.length): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(payload));
    s.setEncoding('utf8');
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('data', (d) => {
      got += d;
      if (got.length >= expect) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

function httpsGet(
  port: number,
  servername: string,
  ca: string | undefined,
  path = '/',
): Promise<{ status: number; body: string; cert: tls.PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path,
        servername,
        headers: { host: `${servername}:${port}` },
        ca,
        rejectUnauthorized: !!ca,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            cert: (res.socket as tls.TLSSocket).getPeerCertificate(),
          }),
        );
      },
    );
    req.on('error', reject);
  });
}

describe('relay TCP and TLS ingress', () => {
  let edge: Edge;
  let echo: Listening<net.Server>;
  let web: Listening<http.Server>;
  let secure: Listening<tls.Server>;
  let originCa: { material: TlsMaterial; dir: string };
  let originCert: string;

  beforeAll(async () => {
    edge = await startEdge(env());
    echo = await tcpEcho();
    web = await listen(
      http.createServer((req, res) => res.end(`web ${req.url} proto=${req.headers['x-forwarded-proto']}`)),
    );
    originCa = await foreignCa();
    const pair = await originCa.material.issue?.('secure.localhost');
    if (!pair) throw new Error('no issuer');
    originCert = pair.certPem;
    secure = await listen(tls.createServer({ cert: pair.certPem, key: pair.keyPem }, (s) => s.pipe(s)));
  });
  afterAll(async () => {
    await edge?.close();
    await Promise.all([echo?.close(), web?.close(), secure?.close()]);
    rmSync(originCa.dir, { recursive: true, force: true });
  });

  it('serves a tcp tunnel on a port from the top of the pool, and a reserved port exactly', async () => {
    const agent = await edge.agent(
      [
        { id: 'echo', proto: 'tcp', local: echo.port },
        { id: 'fixed', proto: 'tcp', port: edge.tcpPorts.first, local: echo.port },
      ],
      { tcpPorts: [edge.tcpPorts.first] },
    );
    expect(agent.url('echo')).toBe(`tcp://localhost:${edge.tcpPorts.last}`);
    expect(agent.url('fixed')).toBe(`tcp://localhost:${edge.tcpPorts.first}`);
    expect(await roundTrip(edge.tcpPorts.last, 'ping over tcp')).toBe('ping over tcp');
    const big = 'x'.repeat(2 * 1024 * 1024);
    expect((await roundTrip(edge.tcpPorts.first, big)).length).toBe(big.length);
    agent.kill();
    await agent.closed;
    // The port is released with the session.
    await edge.api.waitFor('port closed', () => !edge.relay.app.getHttpServer() || true);
    await new Promise((r) => setTimeout(r, 100));
    await expect(roundTrip(edge.tcpPorts.last, 'x')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses tcp connections over the limit and from denied addresses', async () => {
    const agent = await edge.agent([
      { id: 'one', proto: 'tcp', local: echo.port, maxConns: 1 },
      { id: 'deny', proto: 'tcp', local: echo.port, denyCidrs: ['127.0.0.0/8'] },
    ]);
    const one = Number(new URL(agent.url('one')).port);
    const held = net.connect(one, '127.0.0.1');
    await new Promise((r) => held.once('connect', r));
    held.write('hold');
    await new Promise((r) => held.once('data', r));
    expect(await roundTrip(one, 'second')).toBe('');
    held.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(await roundTrip(one, 'third')).toBe('third');
    expect(await roundTrip(Number(new URL(agent.url('deny')).port), 'nope')).toBe('');
    await agent.close();
  });

  it('terminates TLS with a certificate from its dev CA', async () => {
    const agent = await edge.agent([{ id: 'web', proto: 'http', name: 'shop', local: web.port }]);
    const https = edge.relay.ports.https;
    expect(agent.welcome.tunnels[0].urls).toContain(`https://shop.localhost:${https}`);
    const r = await httpsGet(https, 'shop.localhost', edge.relay.caPem, '/tls?q=1');
    expect(r).toMatchObject({ status: 200, body: 'web /tls?q=1 proto=https' });
    expect(r.cert.subjectaltname).toContain('DNS:shop.localhost');
    expect(readFileSync(join(edge.tlsDir, 'ca.pem'), 'utf8')).toBe(edge.relay.caPem);
    const wildcard = new X509Certificate(readFileSync(join(edge.tlsDir, 'wildcard.pem')));
    expect(wildcard.subjectAltName).toContain('DNS:*.localhost');
    // Unknown hosts still get an answer over TLS.
    const missing = await httpsGet(https, 'missing.localhost', undefined);
    expect(missing.status).toBe(404);
    await agent.close();
  });

  it('passes TLS through untouched: the visitor sees the origin certificate', async () => {
    const agent = await edge.agent([{ id: 'sec', proto: 'tls', name: 'secure', local: secure.port }]);
    const port = edge.relay.ports.https;
    expect(agent.url('sec')).toBe(`tls://secure.localhost:${port}`);
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'secure.localhost',
      ca: originCa.material.caPem,
    });
    await new Promise((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
    expect(s.authorized).toBe(true);
    expect(s.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(originCert).fingerprint256);
    const echoed = new Promise<string>((resolve) => s.once('data', (d) => resolve(String(d))));
    s.write('through the tunnel');
    expect(await echoed).toBe('through the tunnel');
    s.destroy();
    // Trusting only the relay's CA fails: the relay never held this certificate.
    const wrong = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'secure.localhost',
      ca: edge.relay.caPem,
    });
    await expect(
      new Promise((resolve, reject) => wrong.once('secureConnect', resolve).once('error', reject)),
    ).rejects.toThrow();
    await agent.close();
  });

  it('serves a per-host certificate loaded at runtime', async () => {
    const custom = await foreignCa();
    const pair = await custom.material.issue?.('shop.example.test');
    if (!pair) throw new Error('no issuer');
    const agent = await edge.agent(
      [{ id: 'shop', proto: 'http', domain: 'shop.example.test', local: web.port }],
      {
        hosts: [{ name: 'shop', host: 'shop.example.test', tls: 'terminate' }],
      },
    );
    expect(agent.url('shop')).toBe(`http://shop.example.test:${edge.relay.ports.http}`);
    edge.relay.certificates.setCertificate('shop.example.test', pair.certPem, pair.keyPem);
    const r = await httpsGet(edge.relay.ports.https, 'shop.example.test', custom.material.caPem, '/cart');
    expect(r).toMatchObject({ status: 200, body: 'web /cart proto=https' });
    await agent.close();
    rmSync(custom.dir, { recursive: true, force: true });
  });

  it('drops bytes on the TLS port that are not TLS, and keeps serving', async () => {
    expect(await roundTrip(edge.relay.ports.https, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('');
    const agent = await edge.agent([{ id: 'web', proto: 'http', name: 'after', local: web.port }]);
    expect(
      (await httpsGet(edge.relay.ports.https, hostOf(agent.url('web')).split(':')[0], edge.relay.caPem))
        .status,
    ).toBe(200);
    await agent.close();
  });
});

describe('relay agent listener over TLS', () => {
  let edge: Edge;
  let web: Listening<http.Server>;

  beforeAll(async () => {
    edge = await startEdge(env(), { FDT_RELAY_AGENT_TLS: 'true', FDT_RELAY_PUBLIC_HOST: 'relay.localtest' });
    web = await listen(http.createServer((req, res) => res.end(`web ${req.url}`)));
  });
  afterAll(async () => {
    await edge?.close();
    await web?.close();
  });

  it('speaks TLS to agents with a certificate for its public host, and says so in its heartbeat', async () => {
    const agent = await edge.agent([{ id: 'web', proto: 'http', name: 'secure-agent', local: web.port }]);
    const r = await new Promise<string>((resolve, reject) =>
      http
        .get(
          {
            host: '127.0.0.1',
            port: edge.relay.ports.http,
            path: '/over-tls',
            headers: { host: hostOf(agent.url('web')) },
          },
          (res) => {
            let s = '';
            res.on('data', (d) => (s += d));
            res.on('end', () => resolve(s));
          },
        )
        .on('error', reject),
    );
    expect(r).toBe('web /over-tls');
    const cert = new X509Certificate(readFileSync(join(edge.tlsDir, 'wildcard.pem')));
    expect(cert.checkHost('relay.localtest')).toBe('relay.localtest');
    await edge.api.waitFor('heartbeat', () => edge.api.heartbeats().length > 0);
    expect(edge.api.heartbeats()[0]).toMatchObject({
      agentTls: true,
      agentPort: edge.relay.ports.agent,
      publicHost: 'relay.localtest',
    });
    await agent.close();
  });

  it('refuses agents that do not speak TLS', async () => {
    const r = await rawHandshake(edge.relay.ports.agent, Buffer.from('\x00\x00\x00\x02{}'), 2000);
    expect(r.reply).toBeUndefined();
  });
});
