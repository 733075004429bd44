export * from './constants.js';
export * from './entities/index.js';
export * from './errors/scim.exception.js';
export * from './scim.module.js';
export * from './tokens/scim-tokens.service.js';
