import { rootCertificates } from 'node:tls';

/** Extra certificate authorities (PEM) to trust besides the system's, e.g. a self-hosted relay's CA. */
export type CaOption = string | Buffer | (string | Buffer)[];

/** Node's `ca` option replaces the default roots; keep them and add ours. */
export function trustedCas(ca: CaOption): (string | Buffer)[] {
  return [...rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}
