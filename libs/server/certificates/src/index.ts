export * from './entities/index.js';
export * from './certificates.errors.js';
export * from './certificates.module.js';
export * from './certificates-api.module.js';
export * from './certificates.service.js';
export * from './constants.js';
export { CERTIFICATE_RETRY_POLICY, type CertificateRetryPolicy, retryPolicyFrom } from './retry-policy.js';
export { DNS_PROVIDER, type DnsProvider } from './dns/dns-provider.js';
export * from './dns/index.js';
