// After the handshake the agent's socket carries the fdt mux (../mux): the relay opens one
// stream per visitor request or connection, the agent answers. The opening header block says
// what the stream is with these names; pseudo-headers (`:method`, `:path`, `:authority`,
// `:scheme`, `:status`) and the rest follow HTTP/2's conventions for `http` streams.

export const StreamHeader = {
  /** the tunnel id from the hello */
  Tunnel: 'fdt-tunnel',
  /** `http` (one request/response), `raw` (TCP or TLS passthrough bytes), `upgrade` (HTTP Upgrade) */
  Kind: 'fdt-kind',
  /** the visitor's address, `ip` or `[ipv6]`, and port: `1.2.3.4:5678` */
  RemoteAddr: 'fdt-remote-addr',
  /** the relay's id for this exchange (for inspection and logs) */
  RequestId: 'fdt-request-id',
  /** set by the agent on a response it made itself (not the local service's) */
  Error: 'fdt-error',
} as const;

export type StreamKind = 'http' | 'raw' | 'upgrade';

/** Why the agent could not serve a stream; the relay maps these to visitor errors. */
export const AgentStreamError = {
  /** the local service refused or reset the connection (relay: 502) */
  LocalUnreachable: 'local_unreachable',
  /** the local service did not answer in time (relay: 504) */
  LocalTimeout: 'local_timeout',
  /** the agent does not know the tunnel (relay: 404) */
  UnknownTunnel: 'unknown_tunnel',
} as const;

/**
 * Raw and upgrade streams: the relay sends `:method: POST`, `:path: /`; the agent answers
 * `:status: 200` once the local connection is open (or 502 with fdt-error), then both
 * directions carry bytes until either side ends. For `upgrade`, the request body starts
 * with the visitor's HTTP/1.1 request head (with forwarded headers) exactly as the local
 * service must read it, and the local service's 101 response comes back as bytes.
 */
export const RAW_STREAM_PATH = '/';
