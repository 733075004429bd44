export * from './entities/index.js';
export { BillingModule } from './billing.module.js';
