export * from './bootstrap.js';
export * from './api.module.js';
