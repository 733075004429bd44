// Test doubles for the agent's peers; exported as `@fdt/agent/testing` for tests only.
export * from './fake-api.js';
export * from './fake-relay.js';
