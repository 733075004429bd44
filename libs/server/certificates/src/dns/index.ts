// What the rest of the platform uses of src/dns (DNS_PROVIDER and DnsProvider are exported beside).
export { DnsModule } from './dns.module.js';
export { BaseDomainCertificate, baseDomainHostnames } from './base-domain-certificate.service.js';
export { createDnsProvider, dnsProviderProvider } from './dns-provider.factory.js';
export { DnsErrorCode, DnsProviderException } from './dns-errors.js';
export { CloudflareDnsProvider } from './cloudflare/cloudflare-dns-provider.js';
export { Rfc2136DnsProvider } from './rfc2136/rfc2136-dns-provider.js';
export { TxtPropagation, txtPropagationOptions, type TxtPropagationOptions } from './txt-propagation.js';
