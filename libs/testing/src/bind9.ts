import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// BIND 9 (Debian `bind9`) as a test peer: an authoritative primary for a few zones on a free
// loopback port, accepting RFC 2136 updates of TXT records signed with a fresh TSIG key.
// Runs `named -g` in the foreground from a private config in a temp dir; stop() kills it.

export interface Bind9Options {
  /** Zones served as primary (each with SOA and NS only at start). */
  zones: string[];
  /** TSIG key name; the secret is random per start. */
  keyName?: string;
  /** Extra records to put in each zone file (lines in zone-file syntax, relative to the zone). */
  records?: Record<string, string[]>;
}

export interface Bind9 {
  host: string;
  port: number;
  /** host:port, as FDT_DNS_RFC2136_SERVER and FDT_DNS_RESOLVERS take it. */
  address: string;
  keyName: string;
  /** base64, as FDT_DNS_RFC2136_TSIG_SECRET takes it. */
  keySecret: string;
  stop(): Promise<void>;
}

/** A port free on loopback for both UDP and TCP (named listens on both). */
export async function freeDnsPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free loopback port for UDP and TCP');
}

export async function startBind9(opts: Bind9Options): Promise<Bind9> {
  const dir = mkdtempSync(join(tmpdir(), 'fdt-bind9-'));
  const port = await freeDnsPort();
  const keyName = opts.keyName ?? 'fdt-test-key';
  const keySecret = randomBytes(32).toString('base64');
  const zones = opts.zones.map((z) => z.replace(/\.$/, '').toLowerCase());
  for (const zone of zones) {
    const extra = opts.records?.[zone] ?? [];
    writeFileSync(
      join(dir, `${zone}.zone`),
      [
        '$TTL 60',
        `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 60 60 3600 60`,
        `@ IN NS ns.${zone}.`,
        'ns IN A 127.0.0.1',
        ...extra,
        '',
      ].join('\n'),
    );
  }
  const conf = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '  allow-query { any; };',
    '};',
    'controls { };',
    `key "${keyName}" { algorithm hmac-sha256; secret "${keySecret}"; };`,
    ...zones.map(
      (z) =>
        `zone "${z}" { type primary; file "${dir}/${z}.zone"; update-policy { grant ${keyName} zonesub TXT; }; };`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'named.conf'), conf);

  const child: ChildProcess = spawn(
    '/usr/sbin/named',
    ['-g', '-c', join(dir, 'named.conf'), '-p', String(port), '-n', '1'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`named did not start in 15 s:\n${log}`)), 15_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    };
    child.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
      // Its last start-up line is "<time> running" (an earlier one is "running as: named ...").
      if (/ running\s*$/m.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`named exited (${code}):\n${log}`)));
  });
  child.removeAllListeners('exit');

  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    keyName,
    keySecret,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
