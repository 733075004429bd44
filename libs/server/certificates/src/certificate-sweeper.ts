import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CertificatesService } from './certificates.service.js';

const SWEEP_MS = 10 * 60_000;

/** The worker's safety net for scheduled certificate jobs, and its poll of the CA's renewal information: at start and every 10 minutes. */
@Injectable()
export class CertificateSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CertificateSweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly certificates: CertificatesService) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    try {
      await this.certificates.enqueueDue(SWEEP_MS);
    } catch (e) {
      this.logger.warn(`certificate sweep failed (next in 10 min): ${(e as Error).message}`);
    }
    try {
      await this.certificates.pollRenewalInfo();
    } catch (e) {
      this.logger.warn(`renewal information sweep failed (next in 10 min): ${(e as Error).message}`);
    }
  }
}
