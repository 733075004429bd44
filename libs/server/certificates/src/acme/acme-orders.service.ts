import { Injectable } from '@nestjs/common';
import acme from 'acme-client';
import type { AcmeChallengeType } from '../entities/certificate.entity.js';
import { AcmeAccountsService } from './acme-accounts.service.js';
import { ChallengeAnswers } from './challenge-answers.js';

/** The CA refused the order for good (a challenge failed validation): retrying now would fail the same way. */
export class AcmeOrderInvalidError extends Error {}

export interface IssuedPair {
  /** leaf first, then the chain, as the CA sent it */
  certPem: string;
  keyPem: string;
}

/**
 * One ACME order, start to finish: new key and CSR, an authorization per name answered by the
 * chosen challenge, finalize, download. acme-client's own pre-check of the answer (`auto()`)
 * is not used: it resolves names through the system resolver, which says nothing about what
 * the CA will see.
 */
@Injectable()
export class AcmeOrdersService {
  constructor(
    private readonly accounts: AcmeAccountsService,
    private readonly answers: ChallengeAnswers,
  ) {}

  async issue(hostnames: string[], type: AcmeChallengeType): Promise<IssuedPair> {
    const client = await this.accounts.account();
    const [keyPem, csr] = await acme.crypto.createCsr(
      { commonName: hostnames[0], altNames: hostnames },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const order = await client.createOrder({
      identifiers: hostnames.map((value) => ({ type: 'dns', value })),
    });
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const name = authz.identifier.value;
      const challenge = authz.challenges.find((c) => c.type === type);
      if (!challenge) {
        const offered = authz.challenges.map((c) => c.type).join(', ');
        throw new AcmeOrderInvalidError(`the CA offers no ${type} challenge for ${name} (only ${offered})`);
      }
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      const cleanup = await this.answers.present(type, authz, challenge, keyAuthorization);
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge).catch((e: unknown) => {
          throw new AcmeOrderInvalidError(`${type} challenge for ${name} failed: ${(e as Error).message}`);
        });
      } finally {
        await cleanup().catch(() => undefined);
      }
    }
    const finalized = await client.finalizeOrder(order, csr);
    const certPem = await client.getCertificate(finalized);
    return { certPem, keyPem: keyPem.toString() };
  }

  async revoke(certPem: string): Promise<void> {
    await (await this.accounts.account()).revokeCertificate(certPem);
  }
}
