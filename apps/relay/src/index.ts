export * from './bootstrap.js';
export * from './relay.module.js';
export * from './edge.module.js';
export * from './constants.js';
export * from './errors/visitor-errors.js';
export * from './registration/relay-endpoints.js';
export * from './registration/relay-heartbeat.service.js';
export * from './registration/relay-load.js';
