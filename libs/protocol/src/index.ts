export * from './agent-session.js';

/** The agent<->relay wire protocol version spoken by this build. */
export const PROTOCOL_VERSION = 1;
export * from './control-channels.js';
export * from './relay-heartbeat.js';
