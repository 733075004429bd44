import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ReadinessCheck } from '@fdt/server-core/edge';
import { CertificateSync } from './certificate-sync.service.js';

/** Not ready until the custom-domain certificates are loaded: otherwise it would serve the default certificate for them. */
@Injectable()
export class CertificatesLoadedIndicator implements ReadinessCheck {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly sync: CertificateSync,
  ) {}

  async check() {
    const indicator = this.indicators.check('certificates');
    return this.sync.loaded
      ? indicator.up()
      : indicator.down({ message: this.sync.lastError ?? 'not loaded yet' });
  }
}
