// Certificates between the control plane and the relays: what travels over pub/sub and the
// relay-only REST route, and the KV keys under which the worker leaves ACME challenge answers.

/** Pub/sub: one hostname's certificate was issued, renewed, uploaded or removed. */
export const CERTIFICATE_CHANGED_CHANNEL = 'fdt.certificate.changed'; // = ControlChannel.CertificateChanged

/**
 * No key material on the bus: a relay fetches the pair from the api (relay-secret
 * authenticated) when `removed` is false.
 */
export interface CertificateChangedMessage {
  hostname: string;
  removed: boolean;
}

/** Relay-only: every active certificate (`?hostname=` for one), keys included. */
export const RELAY_CERTIFICATES_PATH = '/api/v1/relays/certificates';

export interface RelayCertificate {
  /** the certificate's key: exact host, or `*.parent` for a wildcard */
  hostname: string;
  /** every name it is served for (the key first), e.g. `*.example.com` and `example.com` */
  hostnames?: string[];
  /** leaf first, then the chain */
  certPem: string;
  keyPem: string;
  notAfter: string;
}

export interface RelayCertificateList {
  items: RelayCertificate[];
}

/** HTTP-01: `GET /.well-known/acme-challenge/<token>` on any relay's HTTP port. */
export const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/';
/** KV key holding the key authorization for an HTTP-01 token. */
export const acmeHttp01Key = (token: string): string => `acme:http-01:${token}`;
/** KV key holding `AcmeTlsAlpnAnswer` JSON for a hostname being validated by TLS-ALPN-01. */
export const acmeTlsAlpnKey = (hostname: string): string => `acme:tls-alpn-01:${hostname.toLowerCase()}`;
/** The ALPN protocol id of RFC 8737. */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

export interface AcmeTlsAlpnAnswer {
  certPem: string;
  keyPem: string;
}

/** How long a challenge answer stays in the KV store (an order's validation takes seconds). */
export const ACME_CHALLENGE_TTL_SECONDS = 600;
