import type { StreamKind, TunnelProto } from '@fdt/protocol';
import type { AgentError } from './errors.js';

export interface TunnelOnlineEvent {
  /** the tunnel's id (from the hello) */
  tunnel: string;
  name: string;
  proto: TunnelProto;
  url: string;
  urls: string[];
  /** the local target, e.g. `http://127.0.0.1:3000` */
  addr: string;
  host?: string;
  port?: number;
}

export interface SessionStartedEvent {
  sessionId: string;
  region: string;
  /** `host:port` of the relay */
  relay: string;
  /** the authtoken owner's email and org name, when the api says */
  account?: string;
  org?: string;
}

export interface ReconnectingEvent {
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface ReconnectedEvent {
  sessionId: string;
  relay: string;
  attempts: number;
  /** how long the tunnels were unreachable */
  downtimeMs: number;
}

export interface RequestEvent {
  tunnel: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  requestId?: string;
  remoteAddr?: string;
}

export interface ConnectionEvent {
  tunnel: string;
  kind: Exclude<StreamKind, 'http'>;
  remoteAddr?: string;
}

export interface InspectorOnlineEvent {
  /** where the local inspector serves its page and api, e.g. `http://127.0.0.1:4040` */
  url: string;
}

export interface WarningEvent {
  message: string;
  tunnel?: string;
}

export interface ClosedEvent {
  /** set when the agent gave up (authentication failed, refused, ...); absent after close() */
  error?: AgentError;
}

/** Every event of an AgentClient (and of a Listener), with its payload. */
export interface AgentEvents {
  session_started: [SessionStartedEvent];
  tunnel_online: [TunnelOnlineEvent];
  reconnecting: [ReconnectingEvent];
  reconnected: [ReconnectedEvent];
  request: [RequestEvent];
  connection: [ConnectionEvent];
  inspector_online: [InspectorOnlineEvent];
  warning: [WarningEvent];
  closed: [ClosedEvent];
}
