import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { CertificatesErrorCode, CertificatesException } from '../certificates.errors.js';

export interface ValidatedPair {
  /** the chain as given, leaf first, normalised to PEM blocks joined by newlines */
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  /** DNS names of the leaf (subjectAltName) */
  names: string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// A chain longer than this is not a web certificate chain (and bounds the parsing work).
const MAX_CHAIN = 10;

/**
 * Checks an uploaded certificate chain and key for `hostname`: PEM that parses, a leaf that
 * covers the hostname (SAN, wildcard by one label), a key that is the leaf's, and a validity
 * window that includes `now`. Throws CertificatesException with the first problem's code.
 */
export function validateUpload(
  hostname: string,
  certPem: string,
  keyPem: string,
  now = new Date(),
): ValidatedPair {
  const blocks = certPem.match(PEM_CERT) ?? [];
  if (blocks.length === 0 || blocks.length > MAX_CHAIN) {
    throw invalid(`expected 1 to ${MAX_CHAIN} PEM certificates (leaf first), found ${blocks.length}`);
  }
  let chain: X509Certificate[];
  try {
    chain = blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    throw invalid(`a certificate does not parse: ${(e as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw invalid('the private key is not an unencrypted PEM key (PKCS#8, PKCS#1 or SEC1)');
  }
  const leaf = chain[0] as X509Certificate;
  if (!coversHost(leaf, hostname)) {
    throw new CertificatesException(
      CertificatesErrorCode.HostnameMismatch,
      `The certificate is for ${dnsNames(leaf).join(', ') || leaf.subject} and does not cover ${hostname}: upload one whose subjectAltName names it.`,
    );
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificatesException(
      CertificatesErrorCode.KeyMismatch,
      "The private key does not match the certificate: upload the key the certificate's request was made with.",
    );
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter <= now || notBefore > now) {
    throw new CertificatesException(
      CertificatesErrorCode.Expired,
      notAfter <= now
        ? `The certificate expired on ${notAfter.toISOString()}: upload a current one.`
        : `The certificate is not valid before ${notBefore.toISOString()}: upload it once it is.`,
    );
  }
  return {
    certPem: blocks.join('\n') + '\n',
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    notBefore,
    notAfter,
    issuer: leaf.issuer,
    names: dnsNames(leaf),
  };
}

function coversHost(leaf: X509Certificate, hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (!host.startsWith('*.')) return leaf.checkHost(host, { subject: 'never' }) !== undefined;
  // A wildcard hostname needs the same wildcard on the certificate.
  return dnsNames(leaf).includes(host);
}

function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4).toLowerCase());
}

function invalid(detail: string): CertificatesException {
  return new CertificatesException(CertificatesErrorCode.Invalid, `Not a usable certificate: ${detail}.`);
}
