import { isIP } from 'node:net';
import type { TunnelProto } from '@fdt/protocol';
import { InvalidOptionsError } from './errors.js';

/** Where a tunnel's traffic goes on this side: a local (or reachable) host and port. */
export interface LocalTarget {
  /** `http:`/`https:` for http tunnels (the agent speaks HTTP/1.1 to it), `tcp:` for raw bytes */
  protocol: 'http:' | 'https:' | 'tcp:';
  host: string;
  port: number;
}

const DEFAULT_HOST = '127.0.0.1';

function port(value: string, addr: string): number {
  if (!/^\d{1,5}$/.test(value))
    throw new InvalidOptionsError(`invalid address "${addr}": the port must be a number`);
  const n = Number(value);
  if (n < 1 || n > 65535)
    throw new InvalidOptionsError(`invalid address "${addr}": port ${n} is out of range (1-65535)`);
  return n;
}

/** `host:port`, `[v6]:port` or `port` */
function hostPort(addr: string): { host: string; port: number } {
  if (/^\d+$/.test(addr)) return { host: DEFAULT_HOST, port: port(addr, addr) };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:[\]]+):(\d+)$/.exec(addr);
  if (!m) throw new InvalidOptionsError(`invalid address "${addr}": expected a port, host:port or a URL`);
  const [, host = '', p = ''] = m;
  if (host.includes(':') && isIP(host) !== 6)
    throw new InvalidOptionsError(`invalid address "${addr}": bad IPv6 address`);
  return { host, port: port(p, addr) };
}

/**
 * The local target of a tunnel. http tunnels take a port (→ http://127.0.0.1:<port>),
 * host:port, or an http(s) URL without a path; tcp and tls tunnels take a port or host:port.
 */
export function parseTarget(addr: string | number, proto: TunnelProto): LocalTarget {
  const a = String(addr).trim();
  if (!a) throw new InvalidOptionsError('the address to forward to is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) {
    let url: URL;
    try {
      url = new URL(a);
    } catch {
      throw new InvalidOptionsError(`invalid address "${a}": not a URL`);
    }
    const scheme = url.protocol;
    const wanted = proto === 'http' ? ['http:', 'https:'] : ['tcp:'];
    if (!wanted.includes(scheme)) {
      throw new InvalidOptionsError(
        `invalid address "${a}": a ${proto} tunnel forwards to ${wanted.map((s) => s + '//').join(' or ')} URLs`,
      );
    }
    if ((url.pathname && url.pathname !== '/') || url.search || url.hash || url.username || url.password) {
      throw new InvalidOptionsError(
        `invalid address "${a}": give only scheme, host and port (no path, query or credentials)`,
      );
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const p = url.port ? Number(url.port) : scheme === 'https:' ? 443 : scheme === 'http:' ? 80 : NaN;
    if (!Number.isInteger(p)) throw new InvalidOptionsError(`invalid address "${a}": the port is missing`);
    return { protocol: scheme as LocalTarget['protocol'], host, port: p };
  }
  const hp = hostPort(a);
  return { protocol: proto === 'http' ? 'http:' : 'tcp:', ...hp };
}

/** `http://127.0.0.1:3000`, `tcp://localhost:22`: how logs name a target. */
export function formatTarget(t: LocalTarget): string {
  const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
  return `${t.protocol}//${host}:${t.port}`;
}
