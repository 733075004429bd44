export {
  AgentClient,
  type AgentClientOptions,
  type AgentState,
  type InspectorOptions,
  type TunnelInfo,
  type TunnelSpec,
} from './agent-client.js';
export { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { DEFAULT_API_URL } from './config/agent.config.js';
export {
  AgentError,
  AgentErrorCode,
  AuthError,
  InvalidOptionsError,
  RefusedError,
  handshakeError,
  type ExitCode,
} from './errors.js';
export type * from './events.js';
export { forward, Listener, type ForwardOptions } from './forward.js';
export {
  DEFAULT_INSPECT_ADDR,
  parseInspectAddr,
  type CapturedBody,
  type Exchange,
  type ExchangeSummary,
  type HeaderMap,
} from './inspector/index.js';
export { toLocalRequestHeaders, toStreamResponseHeaders } from './headers.js';
export {
  createAgentSession,
  relayTlsDefault,
  type AgentSessionGrant,
  type RelayAssignment,
} from './session-api.js';
export { formatTarget, parseTarget, type LocalTarget } from './target.js';
export type { CaOption } from './tls-trust.js';
export { parseBasicAuth, parseCidr, type BasicAuthCredential } from './tunnel-options.js';
