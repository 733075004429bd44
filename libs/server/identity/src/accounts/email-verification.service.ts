import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig, safeEqual } from '@fdt/server-core';
import { User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { MailerService } from '../mail/mailer.service.js';
import { AccountsService } from './accounts.service.js';

const TTL_MS = 86_400_000;
const RESEND_COOLDOWN_S = 300;
export const EMAIL_VERIFICATION_TOKEN = /^fdt_ev_[0-9a-z]{1,12}\.[A-Za-z0-9_-]{43}$/;

/**
 * A signed-in person proves their address: a token goes to it, and they confirm it *while
 * still signed in as the account*, so holding the password and the mailbox together is what
 * counts (whoever merely claimed an address never sees the mail; its owner cannot sign in
 * with the claimer's password). Tokens are stateless: an HMAC over account, address and expiry.
 */
@Injectable()
export class EmailVerificationService {
  private readonly key: Buffer;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly accounts: AccountsService,
    private readonly mailer: MailerService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {
    this.key = createHmac('sha256', config.encryptionKey).update('fdt email verification v1').digest();
  }

  private mac(userId: string, email: string, expires: string): string {
    return createHmac('sha256', this.key).update(`${userId}|${email}|${expires}`).digest('base64url');
  }

  async send(actor: Actor): Promise<void> {
    const user = await this.userOf(actor);
    if (user.emailVerifiedAt) return;
    // One mail per account and org per cooldown, across replicas: whoever claimed an address
    // cannot flood its owner's mailbox (a claim lives in one org). The audit log records sends.
    const recent = await this.ds.query<unknown[]>(
      `SELECT 1 FROM audit_events WHERE org_id = $1 AND action = 'account.email_verification_sent'
          AND target_id = $2 AND occurred_at > now() - make_interval(secs => $3) LIMIT 1`,
      [actor.orgId, user.id, RESEND_COOLDOWN_S],
    );
    if (recent.length) return;
    await this.ds.transaction((m) =>
      this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'account.email_verification_sent',
        target: { type: 'user', id: user.id },
        summary: { email: user.email },
      }),
    );
    const expires = (Date.now() + TTL_MS).toString(36);
    const token = `fdt_ev_${expires}.${this.mac(user.id, user.email, expires)}`;
    await this.mailer.send({
      to: user.email,
      subject: 'Confirm your email address for fdt',
      text: [
        'Someone signed in to fdt as this address asked to confirm it. If that was you, confirm it',
        'while signed in: POST /api/v1/me/email-verification/confirm with this token:',
        '',
        token,
        '',
        'It works for 24 hours. If it was not you, ignore this email: nothing changes.',
      ].join('\n'),
    });
  }

  async confirm(actor: Actor, token: string): Promise<void> {
    const user = await this.userOf(actor);
    const [expires = '', mac = ''] = token.slice('fdt_ev_'.length).split('.');
    const ok = safeEqual(mac, this.mac(user.id, user.email, expires)) && parseInt(expires, 36) > Date.now();
    if (!ok) {
      throw new IdentityException(
        IdentityErrorCode.VerificationInvalid,
        'This confirmation token is not valid for your account (expired, or for another address). Ask for a new one.',
      );
    }
    const done = await this.ds.transaction(async (m) => {
      const fresh = await m.getRepository(User).findOneByOrFail({ id: user.id });
      if (fresh.emailVerifiedAt) return { afterCommit: async () => {} };
      const r = await this.accounts.markEmailVerified(m, fresh, 'emailed_token', {
        proverHoldsPassword: true,
      });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'account.email_verified',
        target: { type: 'user', id: user.id },
        summary: { email: user.email, proof: 'emailed_token' },
      });
      return r;
    });
    await done.afterCommit();
  }

  private async userOf(actor: Actor): Promise<User> {
    // API keys act for their creator but are not the person: only a sign-in proves anything.
    if (actor.type !== 'user' || !actor.userId) {
      throw new IdentityException(
        IdentityErrorCode.Forbidden,
        'Sign in as yourself (not with an API key) to confirm your email.',
      );
    }
    return this.ds.getRepository(User).findOneByOrFail({ id: actor.userId });
  }
}
