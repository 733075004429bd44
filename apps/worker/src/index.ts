export * from './bootstrap.js';
export * from './worker.module.js';
