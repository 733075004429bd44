/** The TXT record a domain's owner publishes: `_fdt-challenge.<hostname>` = `fdt-domain-verification=<value>`. */
export const CHALLENGE_LABEL = '_fdt-challenge';
export const CHALLENGE_PREFIX = 'fdt-domain-verification=';

/** Injection token of the `dns.promises.Resolver` every verification lookup goes through. */
export const DOMAINS_DNS_RESOLVER = Symbol('DOMAINS_DNS_RESOLVER');

/** Per try; the resolver tries twice, and a whole check is bounded by a deadline on top. */
export const DNS_TIMEOUT_MS = 3000;
/** CNAME chains longer than this are not followed (loops, misconfiguration). */
export const MAX_CNAME_HOPS = 8;

/** Background re-check of unverified domains (first delay: FDT_DOMAIN_RECHECK_SECONDS): cap, and when we stop trying. */
export const RECHECK_MAX_DELAY_SECONDS = 6 * 3600;
export const RECHECK_GIVE_UP_AFTER_SECONDS = 7 * 24 * 3600;
/** Domains whose re-check a starting worker re-schedules (most due first), bounding its start. */
export const RECHECK_SCHEDULE_BATCH = 10_000;

/** Queue and job of one background re-check of one domain (apps/worker/src/jobs/domain-recheck.processor.ts). */
export const DOMAINS_QUEUE = 'domains';
export const DOMAIN_RECHECK_JOB = 'recheck';
export interface DomainRecheckJob {
  domainId: string;
}

/** Domains per org: bounds the table and each session's claims. */
export const MAX_DOMAINS_PER_ORG = 100;
