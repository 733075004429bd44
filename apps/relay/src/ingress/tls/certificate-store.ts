import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { TlsMaterial } from './dev-ca.js';

// Certificates issued on the fly by the dev CA, kept for the hosts seen most recently.
const ISSUED_MAX = 1000;

/**
 * Picks the certificate for a TLS handshake by SNI: one set at runtime for the host (exact,
 * then `*.parent`), else the default when it covers the host, else one the dev CA issues
 * for it (only for hosts `mayIssue` accepts, so that arbitrary SNI cannot make it mint).
 */
export class CertificateStore {
  private readonly byHost = new Map<string, SecureContext>();
  private readonly issued = new Map<string, Promise<SecureContext>>();
  private readonly fallback: SecureContext;
  private readonly defaultCert: X509Certificate;

  constructor(
    private readonly material: TlsMaterial,
    private readonly mayIssue: (host: string) => boolean,
  ) {
    this.fallback = createSecureContext({ cert: material.certPem, key: material.keyPem });
    this.defaultCert = new X509Certificate(material.certPem);
  }

  /**
   * Serves `certPem` (with its chain) for `host` (or `*.domain`; or each of several names) from
   * the next handshake on; connections already made keep theirs. Throws on a bad pair.
   */
  setCertificate(host: string | string[], certPem: string, keyPem: string): void {
    const ctx = createSecureContext({ cert: certPem, key: keyPem });
    for (const h of typeof host === 'string' ? [host] : host) this.byHost.set(h.toLowerCase(), ctx);
  }

  deleteCertificate(host: string): void {
    this.byHost.delete(host.toLowerCase());
  }

  get defaultPair(): { certPem: string; keyPem: string } {
    return { certPem: this.material.certPem, keyPem: this.material.keyPem };
  }

  async contextFor(servername: string | undefined): Promise<SecureContext> {
    if (!servername) return this.fallback;
    const host = servername.toLowerCase();
    const exact = this.byHost.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    const wild = dot > 0 ? this.byHost.get(`*${host.slice(dot)}`) : undefined;
    if (wild) return wild;
    if (this.defaultCert.checkHost(host) || !this.material.issue || !this.mayIssue(host))
      return this.fallback;
    let ctx = this.issued.get(host);
    if (!ctx) {
      const issue = this.material.issue;
      ctx = issue(host).then((kp) => createSecureContext({ cert: kp.certPem, key: kp.keyPem }));
      ctx.catch(() => this.issued.delete(host));
      this.issued.set(host, ctx);
      if (this.issued.size > ISSUED_MAX) {
        const oldest = this.issued.keys().next().value;
        if (oldest !== undefined) this.issued.delete(oldest);
      }
    }
    return ctx;
  }

  /** For tls.Server's SNICallback. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    this.contextFor(servername).then(
      (ctx) => cb(null, ctx),
      () => cb(null, this.fallback),
    );
  };
}
