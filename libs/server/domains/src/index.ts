export {
  DOMAINS_ENTITIES,
  Domain,
  DOMAIN_STATUSES,
  type DomainStatus,
  type DomainTlsMode,
} from './entities/index.js';
export {
  DomainsCoreModule,
  DomainsModule,
  type DomainsModuleOptions,
  domainsResolver,
} from './domains.module.js';
export { DomainsService } from './domains.service.js';
export { DomainsErrorCode, DomainsException } from './domains.errors.js';
export { DOMAIN_CERTIFICATES, type DomainCertificates, type CertificateState } from './certificates.port.js';
export {
  DOMAINS_DNS_RESOLVER,
  DOMAINS_QUEUE,
  DOMAIN_RECHECK_JOB,
  type DomainRecheckJob,
  CHALLENGE_LABEL,
  CHALLENGE_PREFIX,
} from './constants.js';
export { normalizeHostname } from './hostname.js';
