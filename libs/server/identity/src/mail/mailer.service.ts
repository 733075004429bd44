import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';

// Every step of an SMTP exchange is bounded: a dead mail server fails the request, never hangs it.
const SMTP_TIMEOUT_MS = 10_000;

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing mail over SMTP (FDT_SMTP_URL); `enabled` is false when none is configured. */
@Injectable()
export class MailerService implements OnModuleDestroy {
  private readonly logger = new Logger('Mailer');
  private readonly transport?: Transporter<SMTPTransport.SentMessageInfo>;
  private readonly from: string;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    this.from = config.smtp?.from ?? '';
    if (config.smtp) {
      const options: SMTPTransport.Options = {
        url: config.smtp.url,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      };
      this.transport = nodemailer.createTransport(options);
    }
  }

  get enabled(): boolean {
    return !!this.transport;
  }

  async send(mail: Mail): Promise<void> {
    if (!this.transport) {
      throw new IdentityException(
        IdentityErrorCode.EmailNotConfigured,
        'This server sends no email (FDT_SMTP_URL is unset).',
      );
    }
    try {
      await this.transport.sendMail({ from: this.from, ...mail });
    } catch (err) {
      // The address is personal data and the message holds a secret: log neither.
      this.logger.error({ err: (err as Error).message }, 'could not send an email');
      throw new IdentityException(
        IdentityErrorCode.EmailDeliveryFailed,
        'The mail server did not accept the message; try again later or ask the platform operators.',
      );
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
