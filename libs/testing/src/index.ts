export * from './test-database.js';
export * from './test-config.js';
export * from './http-client.js';
export * from './test-redis.js';
export * from './bind9.js';
export * from './challtestsrv.js';
export * from './fake-cloudflare.js';
export * from './pebble.js';
