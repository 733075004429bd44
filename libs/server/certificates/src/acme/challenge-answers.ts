import { Inject, Injectable, Optional } from '@nestjs/common';
import acme from 'acme-client';
import type { KeyValueStore } from '@fdt/ports';
import {
  ACME_CHALLENGE_TTL_SECONDS,
  type AcmeTlsAlpnAnswer,
  acmeHttp01Key,
  acmeTlsAlpnKey,
} from '@fdt/protocol';
import { KV_STORE } from '@fdt/server-core';
import { CertificatesErrorCode, CertificatesException } from '../certificates.errors.js';
import { DNS_PROVIDER, type DnsProvider } from '../dns/dns-provider.js';
import { TxtPropagation } from '../dns/txt-propagation.js';
import type { AcmeChallengeType } from '../entities/certificate.entity.js';

type Authorization = acme.Authorization;
type Challenge = Authorization['challenges'][number];

/**
 * Puts a challenge's answer where the CA will look: HTTP-01 and TLS-ALPN-01 answers in the KV
 * store that every relay reads (so whichever relay the CA reaches answers), DNS-01 through the
 * DNS provider. Returns the cleanup.
 */
@Injectable()
export class ChallengeAnswers {
  constructor(
    @Inject(KV_STORE) private readonly kv: KeyValueStore,
    @Optional() @Inject(DNS_PROVIDER) private readonly dns?: DnsProvider,
    // Absent: the CA is asked as soon as the provider accepted the record.
    @Optional() private readonly propagation?: TxtPropagation,
  ) {}

  async present(
    type: AcmeChallengeType,
    authz: Authorization,
    challenge: Challenge,
    keyAuthorization: string,
  ): Promise<() => Promise<void>> {
    const host = authz.identifier.value;
    if (type === 'http-01') {
      const key = acmeHttp01Key((challenge as { token: string }).token);
      await this.kv.set(key, keyAuthorization, ACME_CHALLENGE_TTL_SECONDS);
      return () => this.kv.delete(key);
    }
    if (type === 'tls-alpn-01') {
      const [keyPem, certPem] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
      const answer: AcmeTlsAlpnAnswer = { certPem: certPem.toString(), keyPem: keyPem.toString() };
      const key = acmeTlsAlpnKey(host);
      await this.kv.set(key, JSON.stringify(answer), ACME_CHALLENGE_TTL_SECONDS);
      return () => this.kv.delete(key);
    }
    const dns = this.dns;
    if (!dns) {
      throw new CertificatesException(
        CertificatesErrorCode.ChallengeUnsupported,
        'dns-01 needs a DNS provider: set FDT_DNS_PROVIDER (rfc2136 or cloudflare).',
      );
    }
    // The record name drops a wildcard's `*.` (RFC 8555 section 8.4).
    const fqdn = `_acme-challenge.${host.replace(/^\*\./, '')}`;
    // For dns-01, acme-client's "key authorization" is already the TXT value (its SHA-256 digest).
    await dns.setTxt(fqdn, keyAuthorization);
    const cleanup = () => dns.removeTxt(fqdn, keyAuthorization);
    // Only once the record is visible is the CA asked: a look too early fails the order for good.
    await this.propagation?.waitForTxt(fqdn, keyAuthorization).catch(async (e: unknown) => {
      await cleanup().catch(() => undefined);
      throw e;
    });
    return cleanup;
  }
}
