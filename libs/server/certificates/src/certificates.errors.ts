import { DomainException } from '@fdt/server-core';

export const CertificatesErrorCode = {
  /** the uploaded certificate does not cover the hostname */
  HostnameMismatch: 'certificate_hostname_mismatch',
  /** the uploaded private key is not the certificate's */
  KeyMismatch: 'certificate_key_mismatch',
  /** the uploaded certificate is expired (or not yet valid) */
  Expired: 'certificate_expired',
  /** not a PEM certificate chain and private key */
  Invalid: 'certificate_invalid',
  /** a challenge type this installation cannot answer (dns-01 without a DNS provider) */
  ChallengeUnsupported: 'acme_challenge_unsupported',
} as const;
export type CertificatesErrorCode = (typeof CertificatesErrorCode)[keyof typeof CertificatesErrorCode];

const STATUS: Record<CertificatesErrorCode, number> = {
  certificate_hostname_mismatch: 400,
  certificate_key_mismatch: 400,
  certificate_expired: 400,
  certificate_invalid: 400,
  acme_challenge_unsupported: 400,
};

export class CertificatesException extends DomainException {
  constructor(code: CertificatesErrorCode, message: string) {
    super(code, STATUS[code], message);
  }
}
