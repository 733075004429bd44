export * from './bootstrap.js';
export * from './relay.module.js';
export * from './registration/relay-heartbeat.service.js';
export * from './registration/relay-load.js';
