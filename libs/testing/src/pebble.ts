import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Debian's `pebble` (Let's Encrypt's ACME test server) as a test peer. The package ships no
// listener certificate: one for localhost is made here with openssl, and its PEM is the CA
// file a client must trust (FDT_ACME_CA_FILE). Pebble's issuing roots change at every start:
// fetch them from the management port (`roots()`) to verify issued chains.

export interface PebbleOptions {
  /** host:port of the DNS server pebble's VA resolves names with (pebble-challtestsrv's). */
  dnsServer: string;
  /** Port pebble's VA connects to for HTTP-01 (the relay's HTTP port). Default 5002. */
  httpPort?: number;
  /** Port pebble's VA connects to for TLS-ALPN-01 (the relay's HTTPS port). Default 5001. */
  tlsPort?: number;
  /** Extra environment (e.g. PEBBLE_VA_ALWAYS_VALID). */
  env?: Record<string, string>;
}

export interface Pebble {
  directoryUrl: string;
  /** PEM file of pebble's own HTTPS listener certificate (trust it to talk to pebble). */
  caFile: string;
  managementUrl: string;
  /** The root that signs pebble's certificates now (PEM). */
  roots(): Promise<string>;
  /** The intermediate (PEM). */
  intermediates(): Promise<string>;
  /** Pebble's record of an issued certificate (`Status`: Valid or Revoked), by hex serial. */
  certificateStatus(serialHex: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'fdt-pebble-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const managementPort = await freePort();
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: cert,
        privateKey: key,
        httpPort: opts.httpPort ?? 5002,
        tlsPort: opts.tlsPort ?? 5001,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child: ChildProcess = spawn(
    'pebble',
    ['-config', config, '-dnsserver', opts.dnsServer, '-strict=false'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // No random sleeps before validation, no random bad-nonce rejections, no reuse of a
        // valid authorization (each order validates its challenges).
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_WFE_NONCEREJECT: '0',
        PEBBLE_AUTHZREUSE: '0',
        ...opts.env,
      },
    },
  );
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const ca = readFileSync(cert, 'utf8');
  const directoryUrl = `https://localhost:${port}/dir`;
  const managementUrl = `https://localhost:${managementPort}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const get = (url: string) => httpsGet(url, ca);

  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble exited (${child.exitCode}):\n${log}`);
    try {
      await get(directoryUrl);
      break;
    } catch {
      if (Date.now() - started > 15_000) {
        await stop();
        throw new Error(`pebble did not start in 15 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    directoryUrl,
    caFile: cert,
    managementUrl,
    roots: () => get(`${managementUrl}/roots/0`),
    intermediates: () => get(`${managementUrl}/intermediates/0`),
    certificateStatus: (serialHex) =>
      get(`${managementUrl}/cert-status-by-serial/${serialHex.toLowerCase().replace(/^0+/, '')}`),
    stop,
  };
}

async function httpsGet(url: string, ca: string): Promise<string> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
