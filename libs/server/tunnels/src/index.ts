export * from './entities/index.js';
export * from './tunnels.errors.js';
export * from './tunnels.module.js';
export * from './authtokens/authtokens.service.js';
export * from './sessions/agent-sessions.service.js';
export * from './relays/relays.service.js';
export * from './reservations/reservations.service.js';
export * from './tunnels/tunnel-truth.service.js';
