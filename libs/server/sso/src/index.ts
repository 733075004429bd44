export * from './entities/index.js';
export * from './sso.errors.js';
export * from './sso.module.js';
export { SSO_DNS_RESOLVER } from './constants.js';
export { spUrls } from './sp-urls.js';
