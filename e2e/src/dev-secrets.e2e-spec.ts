import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@fdt/testing';
import { freePort, ROOT, waitFor } from './stack.js';

interface Run {
  exitCode: Promise<number | null>;
  output(): string;
  kill(): Promise<void>;
}

/** A built server app with exactly `env` (no NODE_ENV inherited from Jest, no secrets). */
function run(app: 'api' | 'worker' | 'relay', env: Record<string, string>): Run {
  const child = spawn(process.execPath, [join(ROOT, `apps/${app}/dist/main.js`)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exitCode = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    exitCode,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exitCode;
    },
  };
}

describe('server apps and the built-in development secrets', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Free ports everywhere, so that an app that wrongly starts is seen running (not failing on a port).
    env = {
      DATABASE_URL: db.url,
      FDT_LOG_LEVEL: 'warn',
      FDT_BIND_HOST: '127.0.0.1',
      FDT_API_PORT: String(await freePort()),
      FDT_API_ADMIN_PORT: String(await freePort()),
      FDT_WORKER_ADMIN_PORT: String(await freePort()),
      FDT_RELAY_ADMIN_PORT: String(await freePort()),
      FDT_RELAY_AGENT_PORT: String(await freePort()),
      FDT_RELAY_HTTP_PORT: String(await freePort()),
      FDT_RELAY_HTTPS_PORT: String(await freePort()),
      FDT_RELAY_PEER_PORT: String(await freePort()),
      FDT_RELAY_TCP_PORTS: '21900-21905',
      FDT_RELAY_TLS_DIR: mkdtempSync(join(os.tmpdir(), 'fdt-e2e-tls-')),
    };
  });
  afterAll(() => db?.drop());

  it.each(['api', 'worker', 'relay'] as const)(
    'the %s refuses to start with NODE_ENV unset and no secrets, naming the variables',
    async (app) => {
      const p = run(app, env);
      const timeout = new Promise<'still running'>((r) =>
        setTimeout(() => r('still running'), 15_000).unref(),
      );
      const code = await Promise.race([p.exitCode, timeout]);
      await p.kill();
      expect(code).toBe(1);
      expect(p.output()).toContain(
        'FDT_ENCRYPTION_KEY, FDT_RELAY_SECRET: required unless NODE_ENV=development',
      );
      expect(p.output()).toContain('NODE_ENV is unset, which means production');
      // The reason, not a stack trace.
      expect(p.output()).not.toMatch(/\n\s+at /);
    },
  );

  it('the api starts with NODE_ENV=development and no secrets', async () => {
    const p = run('api', { ...env, NODE_ENV: 'development' });
    try {
      await waitFor(
        'api /readyz',
        async () => (await fetch(`http://127.0.0.1:${env.FDT_API_PORT}/readyz`)).ok,
        30_000,
      );
    } finally {
      await p.kill();
    }
  });
});
