import { InvalidOptionsError, parseBasicAuth, parseCidr, parseTarget, type TunnelSpec } from '@fdt/agent';
import { UsageError } from './errors.js';

export type Proto = 'http' | 'tcp' | 'tls';

export interface TunnelFlags {
  name?: string;
  domain?: string;
  'basic-auth'?: readonly string[];
  'allow-cidr'?: readonly string[];
  'deny-cidr'?: readonly string[];
  'max-conns'?: number;
  'remote-port'?: number;
  inspect?: boolean;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Re-labels the agent's validation error with the flag it came from. */
function check<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidOptionsError) throw new UsageError(`${flag}: ${e.message}`, flag);
    throw e;
  }
}

function only(proto: Proto, allowed: Proto[], flag: string, present: boolean): void {
  if (present && !allowed.includes(proto)) {
    throw new UsageError(`${flag} applies to ${allowed.join(' and ')} tunnels, not ${proto}`, flag);
  }
}

/** `fdt tunnel start <proto> <addr> [flags]` → the tunnel to open, or a UsageError naming the flag. */
export function tunnelSpecFromFlags(proto: Proto, addr: string, f: TunnelFlags): TunnelSpec {
  check('ADDR', () => parseTarget(addr, proto));
  only(proto, ['http', 'tls'], '--name', f.name !== undefined);
  only(proto, ['http', 'tls'], '--domain', f.domain !== undefined);
  only(proto, ['http'], '--basic-auth', Boolean(f['basic-auth']?.length));
  only(proto, ['tcp'], '--remote-port', f['remote-port'] !== undefined);
  if (f.name !== undefined && !LABEL.test(f.name)) {
    throw new UsageError(
      `--name: "${f.name}" is not a valid name (a-z, 0-9 and inner hyphens, at most 63 characters)`,
      '--name',
    );
  }
  if (f.domain !== undefined && !HOST.test(f.domain.toLowerCase()))
    throw new UsageError(`--domain: "${f.domain}" is not a host name`, '--domain');
  if (proto === 'tls' && !f.domain)
    throw new UsageError('--domain is required for tls tunnels (the host visitors connect to)', '--domain');
  const basicAuth = f['basic-auth']?.map((v) => check('--basic-auth', () => parseBasicAuth(v)));
  const allowCidrs = f['allow-cidr']?.map((v) => check('--allow-cidr', () => parseCidr(v)));
  const denyCidrs = f['deny-cidr']?.map((v) => check('--deny-cidr', () => parseCidr(v)));
  return {
    proto,
    addr,
    ...(f.name ? { name: f.name } : {}),
    ...(f.domain ? { domain: f.domain.toLowerCase() } : {}),
    ...(f['remote-port'] !== undefined ? { remotePort: f['remote-port'] } : {}),
    ...(basicAuth?.length ? { basicAuth } : {}),
    ...(allowCidrs?.length ? { allowCidrs } : {}),
    ...(denyCidrs?.length ? { denyCidrs } : {}),
    ...(f['max-conns'] !== undefined ? { maxConns: f['max-conns'] } : {}),
    ...(f.inspect === false ? { inspect: false } : {}),
  };
}
