import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { TlsMaterial } from './dev-ca.js';

// Certificates issued on the fly by the dev CA, kept for the hosts seen most recently.
const ISSUED_MAX = 1000;

/** A certificate (with its chain) and its key, PEM. */
export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/**
 * Picks the certificate for a TLS handshake by SNI: one set at runtime for the host (exact,
 * then `*.parent`), else the default when it covers the host, else one the dev CA issues
 * for it (only for hosts `mayIssue` accepts, so that arbitrary SNI cannot make it mint).
 * The default is the dev CA's / configured file's until `useAsDefault` replaces it (the
 * platform's ACME `*.<base>` certificate); listeners hear of each change because a TLS
 * server answers a handshake without SNI from its own context, never through the SNI callback.
 */
export class CertificateStore {
  private readonly byHost = new Map<string, SecureContext>();
  private readonly issued = new Map<string, Promise<SecureContext>>();
  private readonly defaultListeners = new Set<(pair: CertificatePair) => void>();
  private fallback: SecureContext;
  private defaultCert: X509Certificate;
  private current: CertificatePair;

  constructor(
    private readonly material: TlsMaterial,
    private readonly mayIssue: (host: string) => boolean,
  ) {
    this.fallback = createSecureContext({ cert: material.certPem, key: material.keyPem });
    this.defaultCert = new X509Certificate(material.certPem);
    this.current = { certPem: material.certPem, keyPem: material.keyPem };
  }

  /**
   * Serves this pair instead of the dev CA's / file's from the next handshake on: without SNI,
   * and for every host it covers that has no certificate of its own. Throws on a bad pair
   * (the default is then unchanged).
   */
  useAsDefault(certPem: string, keyPem: string): void {
    const ctx = createSecureContext({ cert: certPem, key: keyPem });
    const cert = new X509Certificate(certPem);
    this.fallback = ctx;
    this.defaultCert = cert;
    this.current = { certPem, keyPem };
    this.notifyDefault();
  }

  /** Back to the dev CA's / configured file's certificate. */
  resetDefault(): void {
    if (this.current.certPem === this.material.certPem) return;
    this.fallback = createSecureContext({ cert: this.material.certPem, key: this.material.keyPem });
    this.defaultCert = new X509Certificate(this.material.certPem);
    this.current = { certPem: this.material.certPem, keyPem: this.material.keyPem };
    this.notifyDefault();
  }

  /** Calls `listener` with the new default pair on each change; returns the unsubscribe. */
  onDefaultChange(listener: (pair: CertificatePair) => void): () => void {
    this.defaultListeners.add(listener);
    return () => this.defaultListeners.delete(listener);
  }

  private notifyDefault(): void {
    for (const l of this.defaultListeners) l(this.current);
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

  get defaultPair(): CertificatePair {
    return { ...this.current };
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
