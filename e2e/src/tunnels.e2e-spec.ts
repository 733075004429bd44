import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fdt } from './cli.js';
import { newAuthtoken, type Stack, startStack, waitFor } from './stack.js';
import { tcpRoundTrip, visit } from './visitor.js';

describe('fdt end to end: the CLI binary, the api and the relay as real processes', () => {
  let stack: Stack;
  let authtoken: string;
  let accessToken: string;
  let origin: http.Server;
  let originPort: number;
  let echo: net.Server;
  let echoPort: number;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack();
    ({ authtoken, accessToken } = await newAuthtoken(stack.apiUrl));
    origin = http.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from origin ${req.method} ${req.url} xff=${req.headers['x-forwarded-for'] ?? ''}`);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as net.AddressInfo).port;
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    cliEnv = {
      FDT_API_URL: stack.apiUrl,
      FDT_AUTHTOKEN: authtoken,
      FDT_CA_FILE: join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem'),
    };
  });
  afterAll(async () => {
    await stack?.close();
    origin?.close();
    echo?.close();
  });

  const tunnels = async () =>
    (await (
      await fetch(`${stack.apiUrl}/api/v1/tunnels`, { headers: { authorization: `Bearer ${accessToken}` } })
    ).json()) as {
      items: { name: string; status: string; url: string }[];
    };

  it('serves an http tunnel, shows it online, and takes it offline on SIGINT within 2 s', async () => {
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--name', 'e2e-web'], cliEnv);
    const online = await cli.waitEvent('tunnel_online');
    expect(online.url).toBe(`http://e2e-web.localhost:${stack.ports.http}`);
    expect(cli.events().find((e) => e.event === 'session_started')).toMatchObject({
      org: 'e2e',
      account: expect.stringMatching(/@example\.test$/),
    });
    const res = await visit(online.url as string, { path: '/hi?x=1' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello from origin GET /hi?x=1 xff=127.0.0.1');
    await waitFor('tunnel online in the api', async () =>
      (await tunnels()).items.find((t) => t.name === 'e2e-web' && t.status === 'online'),
    );

    const t0 = Date.now();
    const code = await cli.stop('SIGINT');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const line of cli
      .output()
      .split('\n')
      .filter((l) => l.trim()))
      expect(() => JSON.parse(line)).not.toThrow();
    const gone = await visit(online.url as string);
    expect([404, 503]).toContain(gone.status);
    expect(gone.headers['fdt-error-code']).toBeTruthy();
    await waitFor('tunnel offline in the api', async () =>
      (await tunnels()).items.find((t) => t.name === 'e2e-web' && t.status === 'offline'),
    );
  });

  it('serves a tcp tunnel', async () => {
    const cli = fdt(['tunnel', 'start', 'tcp', String(echoPort)], cliEnv);
    const online = await cli.waitEvent('tunnel_online');
    expect(String(online.url)).toMatch(/^tcp:\/\/localhost:\d+$/);
    expect(await tcpRoundTrip(online.url as string, 'ping over tcp')).toBe('ping over tcp');
    expect(await cli.stop('SIGINT')).toBe(0);
  });

  it('comes back on the same URL within 2 s of a relay restart', async () => {
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--name', 'e2e-restart'], cliEnv);
    const online = await cli.waitEvent('tunnel_online');
    expect((await visit(online.url as string)).status).toBe(200);
    await stack.relay.stop('SIGKILL');
    stack.relay = await stack.startRelay();
    const t0 = Date.now();
    await waitFor(
      'the same URL answering again',
      async () => (await visit(online.url as string)).status === 200,
      5000,
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await cli.stop('SIGINT')).toBe(0);
  });

  it('exits 4 when the name is reserved by another org', async () => {
    const other = await newAuthtoken(stack.apiUrl);
    const reserved = await fetch(`${stack.apiUrl}/api/v1/reserved-names`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${other.accessToken}` },
      body: JSON.stringify({ name: 'someone-elses' }),
    });
    expect(reserved.status).toBe(201);
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--name', 'someone-elses'], cliEnv);
    expect(await new Promise((r) => cli.child.on('exit', r))).toBe(4);
    expect(cli.events().find((e) => e.event === 'error')).toMatchObject({ code: 'name_taken' });
  });

  it('exits 3 with a hint when the authtoken is bad', async () => {
    const cli = fdt(['tunnel', 'start', 'http', String(originPort)], {
      ...cliEnv,
      FDT_AUTHTOKEN: 'fdt_at_' + 'x'.repeat(43),
    });
    expect(await new Promise((r) => cli.child.on('exit', r))).toBe(3);
    expect(cli.output()).toMatch(/authtoken/i);
  });
});
