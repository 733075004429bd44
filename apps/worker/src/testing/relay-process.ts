// Test support (excluded from the build): the relay as a real process, from its built dist.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RELAY_MAIN = join(import.meta.dirname, '../../../relay/dist/main.js');

export interface RelayProcess {
  ports: { admin: number; agent: number; http: number; https: number };
  output(): string;
  stop(): Promise<void>;
}

/** Starts `apps/relay/dist/main.js` on free ports with `env` on top; resolves once it listens. */
export async function startRelayProcess(env: Record<string, string | undefined>): Promise<RelayProcess> {
  if (!existsSync(RELAY_MAIN))
    throw new Error(`${RELAY_MAIN} is missing: build the relay first (tsc -b apps/relay)`);
  const tlsDir = mkdtempSync(join(tmpdir(), 'fdt-relay-proc-'));
  const first = 20000 + Math.floor(Math.random() * 12000);
  const child: ChildProcess = spawn(process.execPath, [RELAY_MAIN], {
    env: {
      FDT_RELAY_ADMIN_PORT: '0',
      FDT_RELAY_AGENT_PORT: '0',
      FDT_RELAY_HTTP_PORT: '0',
      FDT_RELAY_HTTPS_PORT: '0',
      FDT_RELAY_AGENT_TLS: 'false',
      FDT_RELAY_FORWARDING: 'false',
      FDT_RELAY_TCP_PORTS: `${first}-${first + 3}`,
      FDT_RELAY_TLS_DIR: tlsDir,
      FDT_RELAY_NAME: `relay-proc-${process.pid}-${first}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(tlsDir, { recursive: true, force: true });
  };
  const ports = await new Promise<RelayProcess['ports']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start in 20 s:\n${out}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}):\n${out}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-50_000);
      const line = out.split('\n').find((l) => l.includes('"fdt relay listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { ports: RelayProcess['ports'] }).ports);
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { ports, output: () => out, stop };
}
