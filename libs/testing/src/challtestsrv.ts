import { type ChildProcess, spawn } from 'node:child_process';
import { freeDnsPort } from './bind9.js';

// pebble-challtestsrv (Debian `pebble`) as a test peer: a mock DNS server whose records are
// set at runtime over its HTTP management API. It answers NOERROR with no records for any
// name it does not know (never NXDOMAIN; use dns2 in-process for that), and answers A/AAAA
// for every name with a default address unless started with `defaultIPv4: ''` (the default
// here, so that "has no address" is testable). Names are case-sensitive in its tables.
// Its HTTP-01/TLS-ALPN-01 listeners are off unless asked for (pebble's validation uses them).

export interface ChallTestSrvOptions {
  /** Default A answer for unknown names; '' (default): none. */
  defaultIPv4?: string;
  /** Ports for its own challenge servers; off when unset. */
  http01Port?: number;
  tlsAlpn01Port?: number;
}

export interface ChallTestSrv {
  /** host:port of the DNS server (UDP and TCP), as FDT_DNS_RESOLVERS and pebble's -dnsserver take it */
  dnsAddress: string;
  dnsPort: number;
  /** http://127.0.0.1:<port> of the management API */
  managementUrl: string;
  setTxt(host: string, value: string): Promise<void>;
  clearTxt(host: string): Promise<void>;
  setCname(host: string, target: string): Promise<void>;
  clearCname(host: string): Promise<void>;
  addA(host: string, addresses: string[]): Promise<void>;
  clearA(host: string): Promise<void>;
  setServfail(host: string): Promise<void>;
  clearServfail(host: string): Promise<void>;
  /** Any other management call, e.g. ('add-http01', {token, content}). */
  call(path: string, body: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

const fqdn = (host: string) => (host.endsWith('.') ? host : `${host}.`);

export async function startChallTestSrv(opts: ChallTestSrvOptions = {}): Promise<ChallTestSrv> {
  const dnsPort = await freeDnsPort();
  const managementPort = await freeDnsPort();
  const args = [
    '-dns01',
    `127.0.0.1:${dnsPort}`,
    '-management',
    `127.0.0.1:${managementPort}`,
    '-http01',
    opts.http01Port ? `127.0.0.1:${opts.http01Port}` : '',
    '-https01',
    '',
    '-tlsalpn01',
    opts.tlsAlpn01Port ? `127.0.0.1:${opts.tlsAlpn01Port}` : '',
    '-defaultIPv4',
    opts.defaultIPv4 ?? '',
    '-defaultIPv6',
    '',
  ];
  const child: ChildProcess = spawn('pebble-challtestsrv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-10_000)));
  const managementUrl = `http://127.0.0.1:${managementPort}`;

  const call = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${managementUrl}/${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`pebble-challtestsrv /${path}: ${res.status} ${await res.text()}`);
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  // Ready when the management API answers (it starts after the DNS listeners).
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble-challtestsrv exited (${child.exitCode}):\n${log}`);
    try {
      await call('clear-txt', { host: 'probe.invalid.' });
      break;
    } catch {
      if (Date.now() - started > 10_000) {
        await stop();
        throw new Error(`pebble-challtestsrv did not start in 10 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    dnsAddress: `127.0.0.1:${dnsPort}`,
    dnsPort,
    managementUrl,
    setTxt: (host, value) => call('set-txt', { host: fqdn(host), value }),
    clearTxt: (host) => call('clear-txt', { host: fqdn(host) }),
    setCname: (host, target) => call('set-cname', { host: fqdn(host), target: fqdn(target) }),
    clearCname: (host) => call('clear-cname', { host: fqdn(host) }),
    addA: (host, addresses) => call('add-a', { host: fqdn(host), addresses }),
    clearA: (host) => call('clear-a', { host: fqdn(host) }),
    setServfail: (host) => call('set-servfail', { host: fqdn(host) }),
    clearServfail: (host) => call('clear-servfail', { host: fqdn(host) }),
    call,
    stop,
  };
}
