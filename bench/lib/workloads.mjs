// The workloads of issue 3's targets. wrk for HTTP (A, B, D), curl for one big download
// (C), a Node reader for raw TCP bulk (E).
import net from 'node:net';
import { run } from './procs.mjs';

const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
const bytes = (v, unit) => Number(v) * ({ B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[unit] ?? 1);

function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const tr = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const sockErr = /Socket errors: (.*)/.exec(out)?.[1];
  return {
    rps,
    mbps: tr ? bytes(tr[1], tr[2]) / 1024 ** 2 : NaN,
    p50: pct(50),
    p99: pct(99),
    errors: Number(errors),
    sockErr,
  };
}

export async function wrk(url, { conns, seconds, host, close = false, threads = 2 }) {
  const args = [
    '-t',
    String(Math.min(threads, conns)),
    '-c',
    String(conns),
    '-d',
    `${seconds}s`,
    '--latency',
  ];
  if (host) args.push('-H', `Host: ${host}`);
  if (close) args.push('-H', 'Connection: close');
  return parseWrk(await run('wrk', [...args, url]));
}

export async function curlMBps(url, host, times = 3) {
  const speeds = [];
  for (let i = 0; i < times; i++) {
    const args = ['-s', '-o', '/dev/null', '-w', '%{speed_download} %{http_code}', url];
    if (host) args.push('-H', `Host: ${host}`);
    const [speed, code] = (await run('curl', args)).trim().split(' ');
    if (code !== '200') throw new Error(`curl got ${code} from ${url}`);
    speeds.push(Number(speed) / 1024 ** 2);
  }
  return { mbps: median(speeds) };
}

/** Reads everything a TCP endpoint sends; MB/s. */
export function tcpBulkMBps(port, expectBytes) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let got = 0;
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.on('data', (d) => (got += d.length));
    s.on('error', reject);
    s.on('close', () => {
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      if (got !== expectBytes) return reject(new Error(`tcp bulk: got ${got} of ${expectBytes} bytes`));
      resolve({ mbps: got / 1024 ** 2 / sec });
    });
  });
}

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
