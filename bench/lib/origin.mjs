// The origin every leg forwards to: nginx serving fixed files (as in the reference
// numbers), and a raw TCP source that streams bytes for the TCP bulk workload.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { start, waitPort } from './procs.mjs';

export const FILES = { '1k': 1024, '1m': 1024 * 1024, '64m': 64 * 1024 * 1024 };

export async function startNginx(dir, port) {
  mkdirSync(join(dir, 'www'), { recursive: true });
  for (const [name, size] of Object.entries(FILES))
    writeFileSync(join(dir, 'www', name), Buffer.alloc(size, 'x'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  types { application/octet-stream bin; }
  server { listen 127.0.0.1:${port}; root ${dir}/www; }
}
`,
  );
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  start('nginx', ['-c', conf, '-p', dir]);
  await waitPort(port);
}

/** A TCP server that writes `bytes` to every connection, then closes it. */
export function startTcpSource(port, bytes) {
  const chunk = Buffer.alloc(256 * 1024, 'y');
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return sock.once('drain', pump);
      }
      sock.end();
    };
    sock.on('error', () => {});
    pump();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
