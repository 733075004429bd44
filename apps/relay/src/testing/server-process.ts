// Test support (excluded from the build): the api or the worker as a real process, from its
// built dist (the relay may not import them), for tests that run a relay against the real api.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DIST = {
  api: join(import.meta.dirname, '../../../api/dist/main.js'),
  worker: join(import.meta.dirname, '../../../worker/dist/main.js'),
};

export interface ServerProcess {
  output(): string;
  stop(): Promise<void>;
}

/** Starts `apps/<which>/dist/main.js` with `env`; resolves once `readyUrl` answers 200 (20 s at most). */
export async function startServerProcess(
  which: keyof typeof DIST,
  env: Record<string, string>,
  readyUrl: string,
): Promise<ServerProcess> {
  if (!existsSync(DIST[which]))
    throw new Error(`${DIST[which]} is missing: build it first (tsc -b apps/${which})`);
  const child: ChildProcess = spawn(process.execPath, [DIST[which]], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-50_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: ServerProcess = {
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${which} exited (${child.exitCode}):\n${out}`);
    const ok = await fetch(readyUrl).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return proc;
    if (Date.now() > until) {
      await proc.stop();
      throw new Error(`${which} not ready in 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
