export * from './agent-session.js';
export * from './edge-basic-auth.js';

export * from './control-channels.js';
export * from './certificates.js';
export * from './relay-heartbeat.js';
export * from './edge-limits.js';
export * from './wire/frame-codec.js';
export * from './wire/read-frame.js';
export * from './wire/handshake.js';
export * from './wire/streams.js';
export * from './wire/hop-by-hop.js';
export * from './mux/index.js';
