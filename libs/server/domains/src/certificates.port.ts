// What domains need of certificates, as a port: the certificates lib provides it (its
// CertificatesService satisfies this shape) and domains never depends on how issuance works.
export type CertificateStatus = 'none' | 'pending' | 'issuing' | 'active' | 'renewing' | 'failed';
export type AcmeChallenge = 'http-01' | 'tls-alpn-01' | 'dns-01';

export interface CertificateState {
  status: CertificateStatus;
  notAfter: Date | string | null;
  issuer: string | null;
  lastError: string | null;
  /** the challenge a managed certificate was requested with (null: uploaded; absent: none) */
  challenge?: AcmeChallenge | null;
}

export interface DomainCertificates {
  statusFor(hostname: string): Promise<CertificateState>;
  /** Keyed by the hostnames given; one lookup for a whole list. */
  statusForMany(hostnames: string[]): Promise<Map<string, CertificateState>>;
  requestManaged(input: {
    orgId: string | null;
    hostnames: string[];
    challenge: AcmeChallenge;
  }): Promise<unknown>;
  upload(input: {
    orgId: string | null;
    hostname: string;
    certPem: string;
    keyPem: string;
  }): Promise<CertificateState>;
  remove(hostname: string): Promise<unknown>;
}

/** Injection token of the DomainCertificates provider; absent until certificates are wired. */
export const DOMAIN_CERTIFICATES = Symbol('DOMAIN_CERTIFICATES');

export const NO_CERTIFICATE: CertificateState = {
  status: 'none',
  notAfter: null,
  issuer: null,
  lastError: null,
};
