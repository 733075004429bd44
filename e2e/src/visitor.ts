import http from 'node:http';
import net from 'node:net';

/** GET a public tunnel URL: connect to 127.0.0.1 on its port with its Host (no DNS for *.localhost). */
export function visit(
  url: string,
  opts: { headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(u.port || 80),
        path: opts.path ?? '/',
        headers: { host: u.host, ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Sends `payload` to a tcp:// URL and resolves with what comes back before the server closes or `expect` bytes arrive. */
export function tcpRoundTrip(url: string, payload: string, expect = payload.length): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect(Number(u.port), '127.0.0.1', () => s.write(payload));
    s.setEncoding('utf8');
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('data', (d) => {
      got += d;
      if (got.length >= expect) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}
