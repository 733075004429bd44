import {
  tunnelRequestSchema,
  type TunnelGrant,
  type TunnelProto,
  type TunnelRequest,
  type Welcome,
} from '@fdt/protocol';
import { InvalidOptionsError } from './errors.js';
import { formatTarget, parseTarget, type LocalTarget } from './target.js';
import { parseBasicAuth, parseCidr, type BasicAuthCredential } from './tunnel-options.js';

/** One tunnel to open: where it forwards to, and what the public side should look like. */
export interface TunnelSpec {
  /** the tunnel's key in the session (default: its name, else its proto) */
  id?: string;
  proto: TunnelProto;
  /** the local target: a port, host:port, or for http an http(s):// URL */
  addr: string | number;
  /** wanted name: `<name>.<base domain>` (http, tls) */
  name?: string;
  /** wanted full host (custom domain, tls passthrough host) */
  domain?: string;
  /** tcp: wanted public port (from the org's reserved addresses) */
  remotePort?: number;
  /** `user:password` strings or credentials the edge asks visitors for */
  basicAuth?: (string | BasicAuthCredential)[];
  allowCidrs?: string[];
  denyCidrs?: string[];
  maxConns?: number;
  /** record HTTP exchanges for inspection (default true) */
  inspect?: boolean;
}

/** A tunnel as the relay granted it. */
export interface TunnelInfo {
  id: string;
  proto: TunnelProto;
  name: string;
  url: string;
  urls: string[];
  /** the local target, e.g. `http://127.0.0.1:3000` */
  addr: string;
  host?: string;
  port?: number;
}

/** A validated spec; also the forwarder's route for its streams (id, proto, target). */
export interface ResolvedTunnel {
  id: string;
  proto: TunnelProto;
  target: LocalTarget;
  /** the request without the sticky name/port a previous grant adds */
  request: TunnelRequest;
  /** the name or port was chosen by the user (vs. remembered from a grant) */
  userChoseAddress: boolean;
}

/**
 * The session's tunnels: what was asked for and what the relay last granted. Grants are
 * remembered across links, so a reconnect asks for the same names and ports.
 */
export class TunnelSet {
  private readonly byId: Map<string, ResolvedTunnel>;
  private readonly granted = new Map<string, TunnelGrant>();

  /** Validates the specs once, up front: bad options are exit 2 before any network. */
  constructor(specs: TunnelSpec[]) {
    this.byId = new Map(resolveTunnels(specs).map((t) => [t.id, t]));
  }

  get(id: string): ResolvedTunnel | undefined {
    return this.byId.get(id);
  }

  all(): ResolvedTunnel[] {
    return [...this.byId.values()];
  }

  /** The tunnels as last granted. */
  infos(): TunnelInfo[] {
    return this.all().flatMap((t) => {
      const g = this.granted.get(t.id);
      return g ? [info(t, g)] : [];
    });
  }

  /** The hello's requests: what we had last time, so URLs survive reconnects and relay restarts. */
  requests(): TunnelRequest[] {
    return this.all().map((t) => {
      const g = this.granted.get(t.id);
      const r: TunnelRequest = { ...t.request };
      if (g && t.proto !== 'tcp' && !r.name && !r.domain && g.name) r.name = g.name;
      if (g && t.proto === 'tcp' && r.port === undefined && g.port) r.port = g.port;
      return r;
    });
  }

  /** A tunnel of ours the welcome grants no URL, if any. */
  ungranted(welcome: Welcome): string | undefined {
    return [...this.byId.keys()].find(
      (id) => !welcome.tunnels.some((g) => g.id === id && typeof g.url === 'string'),
    );
  }

  /** Takes a welcome's grants; returns the tunnels whose URL changed (all of them the first time). */
  adopt(welcome: Welcome): TunnelInfo[] {
    const before = new Map([...this.granted].map(([id, g]) => [id, g.url]));
    for (const g of welcome.tunnels) if (this.byId.has(g.id)) this.granted.set(g.id, g);
    return this.infos().filter((t) => before.get(t.id) !== t.url);
  }

  /** Drops a remembered grant: the next hello lets the relay choose again. */
  forget(id: string): void {
    this.granted.delete(id);
  }
}

function info(t: ResolvedTunnel, g: TunnelGrant): TunnelInfo {
  return {
    id: t.id,
    proto: t.proto,
    name: g.name,
    url: g.url,
    urls: g.urls?.length ? g.urls : [g.url],
    addr: formatTarget(t.target),
    ...(g.host ? { host: g.host } : {}),
    ...(g.port ? { port: g.port } : {}),
  };
}

function resolveTunnels(specs: TunnelSpec[]): ResolvedTunnel[] {
  if (!specs.length) throw new InvalidOptionsError('no tunnel to open');
  const ids = new Set<string>();
  const perProto = new Map<string, number>();
  return specs.map((s) => {
    const n = (perProto.get(s.proto) ?? 0) + 1;
    perProto.set(s.proto, n);
    const id = s.id ?? s.name ?? (n === 1 ? s.proto : `${s.proto}-${n}`);
    if (ids.has(id)) throw new InvalidOptionsError(`two tunnels have the id "${id}"`);
    ids.add(id);
    if (s.proto === 'tls' && !s.domain)
      throw new InvalidOptionsError(`tunnel "${id}": a tls tunnel needs a domain`);
    const target = parseTarget(s.addr, s.proto);
    const candidate = {
      id,
      proto: s.proto,
      ...(s.name ? { name: s.name } : {}),
      ...(s.domain ? { domain: s.domain } : {}),
      ...(s.remotePort !== undefined ? { port: s.remotePort } : {}),
      ...(s.basicAuth?.length ? { basicAuth: s.basicAuth.map(parseBasicAuth) } : {}),
      ...(s.allowCidrs?.length ? { allowCidrs: s.allowCidrs.map(parseCidr) } : {}),
      ...(s.denyCidrs?.length ? { denyCidrs: s.denyCidrs.map(parseCidr) } : {}),
      ...(s.maxConns !== undefined ? { maxConns: s.maxConns } : {}),
      ...(s.inspect !== undefined ? { inspect: s.inspect } : {}),
    };
    const parsed = tunnelRequestSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidOptionsError(
        `tunnel "${id}": ${issue?.path.join('.') || 'options'}: ${issue?.message}`,
      );
    }
    return {
      id,
      proto: s.proto,
      target,
      request: parsed.data,
      userChoseAddress: Boolean(s.name || s.domain || s.remotePort),
    };
  });
}
