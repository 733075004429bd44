import { type TunnelSpec } from '@fdt/agent';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { UsageError } from './errors.js';
import { tunnelSpecFromFlags, type Proto, type TunnelFlags } from './tunnel-flags.js';

// `fdt tunnel start --config fdt.yml`: `version: 1` and a `tunnels:` map. Every mistake is a
// UsageError (exit 2) that reads `<file>:<line>: <key>: <problem>`.

export interface TunnelsFile {
  tunnels: TunnelSpec[];
  /** the session's relay region (every tunnel that names one must agree) */
  region?: string;
}

const TOP_KEYS = ['version', 'tunnels'];
const TUNNEL_KEYS = [
  'proto',
  'addr',
  'name',
  'domain',
  'basic_auth',
  'allow_cidr',
  'deny_cidr',
  'region',
  'max_conns',
  'inspect',
  'remote_port',
] as const;
type TunnelKey = (typeof TUNNEL_KEYS)[number];

const FLAG_TO_KEY: Record<string, TunnelKey> = {
  ADDR: 'addr',
  '--name': 'name',
  '--domain': 'domain',
  '--basic-auth': 'basic_auth',
  '--allow-cidr': 'allow_cidr',
  '--deny-cidr': 'deny_cidr',
  '--remote-port': 'remote_port',
  '--max-conns': 'max_conns',
};
const ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseTunnelsFile(text: string, file: string): TunnelsFile {
  const lc = new LineCounter();
  const lineOf = (n: Node | Pair | null | undefined): number => {
    const range = n && 'range' in n ? n.range : n && 'key' in n ? (n.key as Node | null)?.range : undefined;
    return range ? lc.linePos(range[0]).line : 1;
  };
  const fail = (line: number, key: string, problem: string): never => {
    throw new UsageError(`${file}:${line}: ${key}: ${problem}`, '--config');
  };
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new UsageError(
      `${file}:${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      '--config',
    );
  }
  if (!isMap(doc.contents))
    return fail(1, 'tunnels', 'the file must be a map with `version: 1` and `tunnels:`');
  const top = doc.contents;
  for (const p of top.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '?';
    if (!TOP_KEYS.includes(k))
      fail(lineOf(p.key as Node), k, `unknown key (expected ${TOP_KEYS.join(', ')})`);
  }
  const version = top.items.find((p) => isScalar(p.key) && p.key.value === 'version');
  if (!version) fail(1, 'version', 'missing (write `version: 1`)');
  else if (!isScalar(version.value) || version.value.value !== 1)
    fail(lineOf(version.key as Node), 'version', 'must be 1');
  const tunnelsPair = top.items.find((p) => isScalar(p.key) && p.key.value === 'tunnels');
  if (!tunnelsPair) return fail(1, 'tunnels', 'missing: a map of tunnels to open');
  const tunnelsNode = tunnelsPair.value as Node | null;
  if (!isMap(tunnelsNode) || !tunnelsNode.items.length)
    return fail(lineOf(tunnelsPair.key as Node), 'tunnels', 'expected a map of at least one tunnel');

  const specs: TunnelSpec[] = [];
  let region: { value: string; line: number } | undefined;
  for (const entry of tunnelsNode.items) {
    const id = isScalar(entry.key) ? String(entry.key.value) : '?';
    const idLine = lineOf(entry.key as Node);
    const at = `tunnels.${id}`;
    if (!ID.test(id)) fail(idLine, at, 'a tunnel key is 1-64 of A-Z, a-z, 0-9, "_", "." and "-"');
    const body = entry.value as Node | null;
    if (!isMap(body)) return fail(idLine, at, 'expected a map with proto and addr');
    const values: Partial<Record<TunnelKey, { v: unknown; line: number; node: Node }>> = {};
    for (const p of body.items) {
      const k = isScalar(p.key) ? String(p.key.value) : '?';
      const line = lineOf(p.key as Node);
      if (!(TUNNEL_KEYS as readonly string[]).includes(k))
        fail(line, `${at}.${k}`, `unknown key (expected one of ${TUNNEL_KEYS.join(', ')})`);
      const node = p.value as Node | null;
      values[k as TunnelKey] = {
        v: node ? (node.toJSON() as unknown) : null,
        line,
        node: node ?? (p.key as Node),
      };
    }
    const str = (k: TunnelKey): string | undefined => {
      const x = values[k];
      if (!x) return undefined;
      if (typeof x.v !== 'string' || !x.v) fail(x.line, `${at}.${k}`, 'expected a non-empty string');
      return x.v as string;
    };
    const int = (k: TunnelKey, min: number, max: number): number | undefined => {
      const x = values[k];
      if (!x) return undefined;
      if (typeof x.v !== 'number' || !Number.isInteger(x.v) || x.v < min || x.v > max)
        fail(x.line, `${at}.${k}`, `expected an integer from ${min} to ${max}`);
      return x.v as number;
    };
    const list = (k: TunnelKey): string[] | undefined => {
      const x = values[k];
      if (!x) return undefined;
      if (!isSeq(x.node) || !(x.v as unknown[]).every((i) => typeof i === 'string'))
        fail(x.line, `${at}.${k}`, 'expected a list of strings');
      return x.v as string[];
    };
    const protoX = values.proto;
    if (!protoX) return fail(idLine, `${at}.proto`, 'missing (http, tcp or tls)');
    if (protoX.v !== 'http' && protoX.v !== 'tcp' && protoX.v !== 'tls')
      fail(protoX.line, `${at}.proto`, `expected http, tcp or tls, not ${JSON.stringify(protoX.v)}`);
    const addrX = values.addr;
    if (!addrX) return fail(idLine, `${at}.addr`, 'missing (a local port, host:port or URL)');
    if (
      !(typeof addrX.v === 'string' && addrX.v) &&
      !(typeof addrX.v === 'number' && Number.isInteger(addrX.v))
    )
      fail(addrX.line, `${at}.addr`, 'expected a port number or a string');
    const inspectX = values.inspect;
    if (inspectX && typeof inspectX.v !== 'boolean')
      fail(inspectX.line, `${at}.inspect`, 'expected true or false');
    const r = str('region');
    const regionLine = values.region?.line ?? idLine;
    if (r !== undefined) {
      if (region && region.value !== r)
        fail(
          regionLine,
          `${at}.region`,
          `all tunnels share one session: "${r}" differs from "${region.value}" (line ${region.line})`,
        );
      region = { value: r, line: regionLine };
    }
    const flags: TunnelFlags = {
      name: str('name'),
      domain: str('domain'),
      'basic-auth': list('basic_auth'),
      'allow-cidr': list('allow_cidr'),
      'deny-cidr': list('deny_cidr'),
      'max-conns': int('max_conns', 1, 1_000_000),
      'remote-port': int('remote_port', 1, 65535),
      inspect: inspectX?.v as boolean | undefined,
    };
    let spec: TunnelSpec;
    try {
      spec = tunnelSpecFromFlags(protoX.v as Proto, String(addrX.v), flags);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const key = (e.flag && FLAG_TO_KEY[e.flag]) || 'proto';
      const line = values[key]?.line ?? idLine;
      const problem = e.message
        .replace(/^(--[\w-]+|ADDR): /, '')
        .replace(/--([a-z]+)-([a-z]+)/g, '$1_$2')
        .replace(/--([a-z]+)/g, '$1');
      return fail(line, `${at}.${key}`, problem);
    }
    specs.push({ ...spec, id });
  }
  return { tunnels: specs, ...(region ? { region: region.value } : {}) };
}
