import type { HandshakeError, Welcome } from '@fdt/protocol';
import type { AgentLink } from './agent-link.js';

/** agent.hello: the first frame as received (not yet validated) and who sent it. */
export interface AgentHelloMessage {
  hello: unknown;
  remoteAddress: string;
}

export type AgentHelloOutcome = { ok: true; welcome: Welcome } | { ok: false; error: HandshakeError };

/** agent.tunnels: the session's link is up. */
export interface AgentTunnelsMessage {
  sessionId: string;
  link: AgentLink;
}

/** agent.closed: the session's link went down (or the handshake failed after allocation). */
export interface AgentClosedMessage {
  sessionId: string;
  reason: string;
}
