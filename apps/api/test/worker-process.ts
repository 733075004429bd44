import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@fdt/testing';

// The worker as a real process from its dist (build it first: tsc -b apps/worker), for api
// tests whose effects the worker applies (billing webhooks, cancels).

const WORKER_MAIN = join(import.meta.dirname, '../../worker/dist/main.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** kill -9: no shutdown hook runs, a running job is left as it was */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s */
  stop(): Promise<void>;
}

/** Starts the worker with `env` on `adminPort` (a free one when not given); ready when /readyz answers. */
export async function startWorkerProcess(
  env: Record<string, string | undefined>,
  adminPort?: number,
): Promise<WorkerProcess> {
  if (!existsSync(WORKER_MAIN))
    throw new Error(`${WORKER_MAIN} is missing: build it first (tsc -b apps/worker)`);
  const port = adminPort ?? (await freePort());
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: { ...env, FDT_WORKER_ADMIN_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-50_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const proc: WorkerProcess = {
    child,
    output: () => out,
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const end = Date.now() + 45_000;
  for (;;) {
    if (gone()) throw new Error(`worker exited (${child.exitCode}):\n${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return proc;
    if (Date.now() > end) {
      await proc.kill();
      throw new Error(`worker not ready in 45 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
