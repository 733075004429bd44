import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** Extra certificate authorities (PEM) to trust besides the system's, e.g. a self-hosted relay's CA. */
export type CaOption = string | Buffer | (string | Buffer)[];

/** Node's `ca` option replaces the default roots; keep them and add ours. */
export function trustedCas(ca: CaOption): (string | Buffer)[] {
  return [...rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}

// Building a context parses every root certificate (~5 ms of CPU): once per CA option, not
// once per dial, or a reconnect storm of many agents in one process spends its CPU there.
const byObject = new WeakMap<object, SecureContext>();
const byText = new Map<string, SecureContext>();
const MAX_TEXT_KEYS = 16;

/** The TLS context that trusts the system's roots and `ca`, built once per `ca` value. */
export function trustedContext(ca: CaOption): SecureContext {
  if (typeof ca === 'string') {
    let ctx = byText.get(ca);
    if (!ctx) {
      if (byText.size >= MAX_TEXT_KEYS) byText.clear();
      byText.set(ca, (ctx = createSecureContext({ ca: trustedCas(ca) })));
    }
    return ctx;
  }
  let ctx = byObject.get(ca);
  if (!ctx) byObject.set(ca, (ctx = createSecureContext({ ca: trustedCas(ca) })));
  return ctx;
}
