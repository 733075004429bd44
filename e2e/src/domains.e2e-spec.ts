import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChallTestSrv, startChallTestSrv } from '@fdt/testing';
import { CLI, fdt } from './cli.js';
import { newAuthtoken, spawnNode, type Stack, startStack } from './stack.js';
import { visit } from './visitor.js';

/** Runs `fdt <args>` to completion; resolves with its exit code and output. */
async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const p = spawnNode(CLI, args, env);
  const code = await new Promise<number | null>((r) => p.child.on('exit', (c) => r(c)));
  return { code, out: p.output() };
}

const json = <T>(out: string): T => JSON.parse(out.slice(out.indexOf('{'))) as T;

interface Org {
  env: Record<string, string>;
}

describe('fdt domain commands and --domain through the real api, relay and DNS (pebble-challtestsrv)', () => {
  let stack: Stack;
  let dns: ChallTestSrv;
  let origin: http.Server;
  let originPort: number;
  let a: Org;
  let b: Org;

  async function org(): Promise<Org> {
    const t = await newAuthtoken(stack.apiUrl);
    const key = await fetch(`${stack.apiUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.accessToken}` },
      body: JSON.stringify({ name: 'domains e2e' }),
    });
    const home = mkdtempSync(join(os.tmpdir(), 'fdt-home-'));
    return {
      env: {
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        FDT_API_URL: stack.apiUrl,
        FDT_AUTHTOKEN: t.authtoken,
        FDT_API_KEY: ((await key.json()) as { key: string }).key,
        FDT_CA_FILE: join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem'),
      },
    };
  }

  beforeAll(async () => {
    dns = await startChallTestSrv();
    stack = await startStack({ FDT_DNS_RESOLVERS: dns.dnsAddress });
    origin = http.createServer((req, res) => res.end(`origin for ${req.headers.host}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as net.AddressInfo).port;
    a = await org();
    b = await org();
  });
  afterAll(async () => {
    await stack?.close();
    await dns?.stop();
    await new Promise((r) => origin?.close(r));
  });

  it('adds a domain and prints the records, fails verify until the TXT exists, then verifies and lists it', async () => {
    const added = await run(['domain', 'add', 'App.Customer.test'], a.env);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/TXT\s+_fdt-challenge\.app\.customer\.test\s+fdt-domain-verification=/);
    expect(added.out).toMatch(/CNAME\s+app\.customer\.test\s+edge\.localhost/);
    expect(added.out).toContain('fdt domain verify app.customer.test');

    const early = await run(['domain', 'verify', 'app.customer.test'], a.env);
    expect(early.code).not.toBe(0);
    expect(early.out).toMatch(/no TXT record at _fdt-challenge\.app\.customer\.test/);

    const listed = json<{
      items: { hostname: string; verification: { records: { type: string; value: string }[] } }[];
    }>((await run(['domain', 'list', '--json'], a.env)).out);
    const txt = listed.items[0].verification.records.find((r) => r.type === 'TXT');
    await dns.setTxt('_fdt-challenge.app.customer.test', txt?.value ?? '');
    const ok = await run(['domain', 'verify', 'app.customer.test', '--json'], a.env);
    expect(ok.code).toBe(0);
    expect(json<{ status: string }>(ok.out).status).toBe('verified');
    expect((await run(['domain', 'list'], a.env)).out).toMatch(/app\.customer\.test\s+verified\s+terminate/);
  });

  it('attack: another org can neither add the hostname nor serve it with --domain (policy_denied)', async () => {
    const taken = await run(['domain', 'add', 'app.customer.test'], b.env);
    expect(taken.code).not.toBe(0);
    expect(taken.out).toMatch(/belongs to another org/);
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--domain', 'app.customer.test'], b.env);
    expect(await new Promise((r) => cli.child.on('exit', r))).toBe(4);
    expect(cli.events().find((e) => e.event === 'error')).toMatchObject({ code: 'policy_denied' });
  });

  it('serves the verified domain with fdt tunnel start http --domain, and refuses it as a tls tunnel', async () => {
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--domain', 'app.customer.test'], a.env);
    const online = await cli.waitEvent('tunnel_online');
    expect(online.url).toBe(`http://app.customer.test:${stack.ports.http}`);
    const r = await visit(`http://app.customer.test:${stack.ports.http}`);
    expect(r).toMatchObject({ status: 200, body: `origin for app.customer.test:${stack.ports.http}` });
    expect(await cli.stop('SIGINT')).toBe(0);

    const passthrough = fdt(
      ['tunnel', 'start', 'tls', String(originPort), '--domain', 'app.customer.test'],
      a.env,
    );
    expect(await new Promise((r) => passthrough.child.on('exit', r))).toBe(4);
    const error = passthrough.events().find((e) => e.event === 'error');
    expect(error).toMatchObject({ code: 'policy_denied' });
    expect(String(error?.message)).toMatch(/TLS terminate at the edge/);
  });

  it('removes the domain; its agents can no longer claim it', async () => {
    const rm = await run(['domain', 'rm', 'app.customer.test', '--json'], a.env);
    expect(rm.code).toBe(0);
    expect(json<{ removed: boolean }>(rm.out).removed).toBe(true);
    expect(json<{ items: unknown[] }>((await run(['domain', 'list', '--json'], a.env)).out).items).toEqual(
      [],
    );
    const cli = fdt(['tunnel', 'start', 'http', String(originPort), '--domain', 'app.customer.test'], a.env);
    expect(await new Promise((r) => cli.child.on('exit', r))).toBe(4);
  });
});
