import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fdt } from './cli.js';
import { freePort, newAuthtoken, type Stack, startStack } from './stack.js';
import { tcpRoundTrip, visit } from './visitor.js';

describe('fdt CLI tunnels through the real relay: tls passthrough, config files, the local inspector', () => {
  let stack: Stack;
  let env: Record<string, string>;
  let accessToken: string;
  let origin: http.Server;
  let originPort: number;
  let hits = 0;
  let echoPort: number;
  let tlsPort: number;
  const servers: net.Server[] = [];
  const dir = mkdtempSync(join(os.tmpdir(), 'fdt-e2e-'));

  beforeAll(async () => {
    stack = await startStack();
    const t = await newAuthtoken(stack.apiUrl);
    accessToken = t.accessToken;
    env = {
      FDT_API_URL: stack.apiUrl,
      FDT_AUTHTOKEN: t.authtoken,
      FDT_CA_FILE: join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem'),
    };
    origin = http.createServer((req, res) => {
      hits++;
      res.end(`origin ${req.url}`);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as net.AddressInfo).port;
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    // The origin's own certificate, which a passthrough visitor must see.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=e2e-tls.localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tlsServer = tls.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (s) => s.pipe(s),
    );
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    tlsPort = (tlsServer.address() as net.AddressInfo).port;
    servers.push(echo, tlsServer);
  });
  afterAll(async () => {
    await stack?.close();
    origin?.close();
    for (const s of servers) s.close();
  });

  it('passes TLS through by SNI: the visitor sees the origin’s own certificate', async () => {
    const reserve = await fetch(`${stack.apiUrl}/api/v1/reserved-names`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ name: 'e2e-tls', tlsMode: 'passthrough' }),
    });
    expect(reserve.status).toBe(201);
    const cli = fdt(['tunnel', 'start', 'tls', String(tlsPort), '--domain', 'e2e-tls.localhost'], env);
    const online = await cli.waitEvent('tunnel_online');
    expect(online.url).toBe(`tls://e2e-tls.localhost:${stack.ports.https}`);
    const { subject, echoed } = await new Promise<{ subject: string; echoed: string }>((resolve, reject) => {
      const s = tls.connect(
        {
          host: '127.0.0.1',
          port: stack.ports.https,
          servername: 'e2e-tls.localhost',
          rejectUnauthorized: false,
        },
        () => {
          const subject = String(s.getPeerCertificate().subject?.CN);
          s.write('hello through tls');
          s.once('data', (d) => (resolve({ subject, echoed: String(d) }), s.end()));
        },
      );
      s.on('error', reject);
    });
    expect(subject).toBe('e2e-tls.localhost');
    expect(echoed).toBe('hello through tls');
    expect(await cli.stop('SIGINT')).toBe(0);
  });

  it('starts every tunnel of a config file in one session', async () => {
    const file = join(dir, 'fdt.yml');
    writeFileSync(
      file,
      `version: 1\ntunnels:\n  web:\n    proto: http\n    addr: ${originPort}\n    name: e2e-cfg-web\n  api:\n    proto: http\n    addr: ${originPort}\n    name: e2e-cfg-api\n  db:\n    proto: tcp\n    addr: ${echoPort}\n`,
    );
    const cli = fdt(['tunnel', 'start', '--config', file, '--no-inspect'], env);
    await cli.waitEvent('tunnel_online');
    const { waitFor } = await import('./stack.js');
    const online = await waitFor('three tunnels', async () => {
      const o = cli.events().filter((e) => e.event === 'tunnel_online');
      return o.length === 3 && o;
    });
    const url = (t: string) => String(online.find((e) => e.tunnel === t)?.url);
    expect((await visit(url('web'), { path: '/w' })).body).toBe('origin /w');
    expect((await visit(url('api'), { path: '/a' })).body).toBe('origin /a');
    expect(await tcpRoundTrip(url('db'), 'db bytes')).toBe('db bytes');
    expect(await cli.stop('SIGINT')).toBe(0);
  });

  it('lists a request in the local inspector, and a replay reaches the origin a second time', async () => {
    const port = await freePort();
    const cli = fdt(
      [
        'tunnel',
        'start',
        'http',
        String(originPort),
        '--name',
        'e2e-inspect',
        '--inspect-addr',
        `127.0.0.1:${port}`,
      ],
      env,
    );
    const online = await cli.waitEvent('tunnel_online');
    const inspector = String((await cli.waitEvent('inspector_online')).url);
    const before = hits;
    expect((await visit(String(online.url), { path: '/inspect-me?q=1' })).status).toBe(200);
    expect(hits).toBe(before + 1);
    const list = (await (await fetch(`${inspector}/api/requests`)).json()) as {
      items: { id: string; path: string; status: number; durationMs: number }[];
    };
    const item = list.items.find((i) => i.path === '/inspect-me?q=1');
    expect(item).toMatchObject({ status: 200, durationMs: expect.any(Number) });
    const replay = await fetch(`${inspector}/api/requests/${item?.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(201);
    expect(hits).toBe(before + 2);
    expect(await cli.stop('SIGINT')).toBe(0);
  });
});
