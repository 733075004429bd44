import { AgentError, AgentErrorCode } from '@fdt/agent';
import { apiCall, type ApiOptions } from './api.js';
import { table } from './table.js';

// The shapes of /api/v1/domains answers the domain commands print (the api's CustomDomainDto).
export interface DnsRecord {
  type: 'TXT' | 'CNAME';
  name: string;
  value: string;
}

export interface DomainRow {
  id: string;
  hostname: string;
  wildcard: boolean;
  status: 'pending_verification' | 'verified' | 'failed';
  tlsMode: 'terminate' | 'passthrough';
  certificateSource: 'managed' | 'uploaded';
  acmeChallenge: 'http-01' | 'tls-alpn-01' | 'dns-01';
  boundName: string | null;
  verification: {
    records: DnsRecord[];
    strict: boolean;
    lastCheckedAt: string | null;
    lastErrorCode: string | null;
    lastError: string | null;
    nextCheckAt: string | null;
  };
  verifiedAt: string | null;
  createdAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listDomains(o: ApiOptions): Promise<DomainRow[]> {
  return (await apiCall<{ items: DomainRow[] }>(o, 'GET', '/api/v1/domains')).items ?? [];
}

/** A domain's id from an id or a hostname (case and trailing dot ignored). */
export async function domainId(o: ApiOptions, idOrHostname: string): Promise<string> {
  if (UUID.test(idOrHostname)) return idOrHostname;
  const want = idOrHostname.trim().toLowerCase().replace(/\.$/, '');
  const found = (await listDomains(o)).find((d) => d.hostname === want);
  if (!found)
    throw new AgentError(AgentErrorCode.ApiError, `no domain ${want} in this org (see fdt domain list)`, {
      retryable: false,
    });
  return found.id;
}

/** The records to create, one per line, ready to paste into a DNS provider's form. */
export function recordsText(d: DomainRow): string {
  const rows = d.verification.records
    .filter((r) => r.type === 'TXT' || d.verification.strict || !d.wildcard)
    .map((r) => [r.type, r.name, r.value]);
  const lines = [table(['TYPE', 'NAME', 'VALUE'], rows)];
  if (!d.verification.strict)
    lines.push('', 'The TXT record proves the domain is yours; the CNAME sends its visitors to fdt.');
  if (d.wildcard)
    lines.push(`${d.hostname} is a wildcard: its certificate needs DNS-01 (a DNS provider configured).`);
  return lines.join('\n');
}
