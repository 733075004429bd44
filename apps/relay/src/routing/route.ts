import type { AgentSessionClaims, TunnelProto } from '@fdt/protocol';
import type { TunnelPolicy } from '../policy/tunnel-policy.js';
import type { AgentLink } from '../transport/agent-link.js';

/** One tunnel this relay serves: where visitors arrive and which agent session serves them. */
export interface TunnelRoute {
  sessionId: string;
  /** the agent's id for the tunnel (sent back in `fdt-tunnel`) */
  tunnelId: string;
  proto: TunnelProto;
  name: string;
  /** http and tls tunnels */
  host?: string;
  /** tcp tunnels */
  port?: number;
  url: string;
  urls: string[];
  orgId: string;
  authtokenId: string;
  policy: TunnelPolicy;
  inspect: boolean;
  /** visitor connections (tcp, tls, upgrade) and requests (http) open now */
  active: number;
}

export interface AgentSession {
  id: string;
  claims: AgentSessionClaims;
  remoteAddress: string;
  routes: TunnelRoute[];
  /** set once the multiplexed link is up */
  link?: AgentLink;
  closed: boolean;
  /** resolves with the link when it comes up, or undefined when the session ends first */
  linked?: Promise<AgentLink | undefined>;
}

/** Key of a route in the table: the host for http/tls, the port for tcp. */
export const routeKey = (r: Pick<TunnelRoute, 'host' | 'port'>): string =>
  r.host !== undefined ? `host:${r.host}` : `port:${r.port}`;
