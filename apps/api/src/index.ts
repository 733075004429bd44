export * from './bootstrap.js';
export * from './api.module.js';
export * from './openapi.js';
