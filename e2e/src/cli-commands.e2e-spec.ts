import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLI } from './cli.js';
import { newAuthtoken, spawnNode, type Stack, startStack } from './stack.js';

/** Runs `fdt <args>` to completion; resolves with its exit code and output. */
async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const p = spawnNode(CLI, args, env);
  const code = await new Promise<number | null>((r) => p.child.on('exit', (c) => r(c)));
  return { code, out: p.output() };
}

describe('fdt account commands against the real api', () => {
  let stack: Stack;
  let env: Record<string, string>;
  let authtoken: string;
  let apiKey: string;

  beforeAll(async () => {
    stack = await startStack();
    const t = await newAuthtoken(stack.apiUrl);
    authtoken = t.authtoken;
    const key = await fetch(`${stack.apiUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.accessToken}` },
      body: JSON.stringify({ name: 'cli e2e' }),
    });
    apiKey = ((await key.json()) as { key: string }).key;
    const home = mkdtempSync(join(os.tmpdir(), 'fdt-home-'));
    env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      FDT_API_URL: '',
      FDT_AUTHTOKEN: '',
      FDT_API_KEY: '',
    };
  });
  afterAll(() => stack?.close());

  it('logs in, then whoami, authtoken create/list/revoke and tunnel list work with the saved credentials', async () => {
    const login = await run(
      ['login', '--authtoken', authtoken, '--api', stack.apiUrl, '--api-key', apiKey],
      env,
    );
    expect(login.code).toBe(0);
    const path = (await run(['config', 'path'], env)).out.trim().split('\n').pop() as string;
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const who = await run(['whoami', '--json'], env);
    expect(who.code).toBe(0);
    expect(who.out).toMatch(/"role":\s*"owner"/);

    const created = await run(['authtoken', 'create', '--description', 'from e2e', '--json'], env);
    expect(created.code).toBe(0);
    const made = JSON.parse(created.out.slice(created.out.indexOf('{'))) as { id: string; token: string };
    expect(made.token).toMatch(/^fdt_at_/);
    const list = await run(['authtoken', 'list', '--json'], env);
    expect(list.out).toContain(made.id);
    expect((await run(['authtoken', 'revoke', made.id], env)).code).toBe(0);
    expect((await run(['authtoken', 'list', '--json'], env)).out).not.toContain(made.id);

    const tunnels = await run(['tunnel', 'list', '--json'], env);
    expect(tunnels.code).toBe(0);

    expect((await run(['logout'], env)).code).toBe(0);
    expect((await run(['whoami'], env)).code).toBe(3);
  });
});
