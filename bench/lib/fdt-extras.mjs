// fdt-only measurements: relay memory per idle agent, and the time from `fdt tunnel start`
// to the first 200 through the public URL.
import http from 'node:http';
import { join } from 'node:path';
import { median } from './workloads.mjs';
import { rssMiB, start } from './procs.mjs';

const root = join(import.meta.dirname, '../..');

function readJsonLine(child, pred) {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (!line.startsWith('{')) continue;
        const v = JSON.parse(line);
        if (pred(v)) return resolve(v);
      }
    });
    child.on('exit', (c) => reject(new Error(`exited ${c}: ${child.describe()}`)));
  });
}

export async function idleAgentMemory(fdt, origin, n) {
  const before = await rssMiB(fdt.relay.pid);
  const child = start('node', [join(import.meta.dirname, 'idle-agents.mjs'), String(n)], {
    env: {
      FDT_API_URL: fdt.apiUrl,
      FDT_AUTHTOKEN: fdt.authtoken,
      FDT_CA_FILE: fdt.ca,
      ORIGIN: String(origin),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await readJsonLine(child, (v) => v.ready === n);
  await new Promise((r) => setTimeout(r, 3000)); // let the relay settle (GC, buffers)
  const after = await rssMiB(fdt.relay.pid);
  child.kill('SIGKILL');
  return {
    agents: n,
    relayRssBeforeMiB: before,
    relayRssAfterMiB: after,
    kibPerAgent: ((after - before) * 1024) / n,
  };
}

function get(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: u.port, path: '/1k', headers: { host: u.host }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
  });
}

/** Spawn-to-first-200 of the real CLI binary, median of `times` runs. */
export async function timeToOnline(fdt, origin, times = 5) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    // The installed bin, as `npx fdt` runs it (its shebang carries the CLI's V8 flags).
    const cli = start(
      join(root, 'node_modules/.bin/fdt'),
      ['tunnel', 'start', 'http', String(origin), '--log', 'json'],
      {
        env: {
          FDT_API_URL: fdt.apiUrl,
          FDT_AUTHTOKEN: fdt.authtoken,
          ...(fdt.ca ? { FDT_CA_FILE: fdt.ca } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const online = await readJsonLine(cli, (v) => v.event === 'tunnel_online');
    while ((await get(online.url)) !== 200) await new Promise((r) => setTimeout(r, 5));
    samples.push(performance.now() - t0);
    cli.kill('SIGINT');
    await new Promise((r) => cli.once('exit', r));
  }
  return { medianMs: median(samples), samplesMs: samples.map((s) => Math.round(s)) };
}
