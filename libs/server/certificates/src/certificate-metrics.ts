import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Counter, Gauge, register } from 'prom-client';
import type { Repository } from 'typeorm';
import { Certificate } from './entities/certificate.entity.js';

// One registry per process (npm start hosts the api and the worker in one, the relay in its own
// child): metrics are made once.
function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

// The gauges read the database of the newest app still open in this process (tests start and
// close several): a closed app's connection must not break every later scrape.
const sources = new Set<Repository<Certificate>>();
const source = (): Repository<Certificate> | undefined => [...sources].at(-1);

/**
 * Orders by result (counted where they run, the worker), and, read from the database at
 * scrape time, certificates by state and seconds to expiry.
 */
@Injectable()
export class CertificateMetrics implements OnModuleDestroy {
  private readonly orders = once(
    'fdt_acme_orders_total',
    () =>
      new Counter({
        name: 'fdt_acme_orders_total',
        help: 'ACME order runs by result: valid (issued), invalid (a challenge failed), error (CA unreachable or refused; retried)',
        labelNames: ['result'],
      }),
  );

  constructor(@InjectRepository(Certificate) private readonly certificates: Repository<Certificate>) {
    // The collectors read the database at scrape time: the values are the platform's, whichever process is scraped.
    sources.add(certificates);
    once(
      'fdt_certificates',
      () =>
        new Gauge({
          name: 'fdt_certificates',
          help: 'Certificates by source and status',
          labelNames: ['source', 'status'],
          async collect() {
            this.reset();
            const repo = source();
            if (!repo) return;
            const rows = await repo
              .createQueryBuilder('c')
              .select('c.source', 'source')
              .addSelect('c.status', 'status')
              .addSelect('count(*)::int', 'n')
              .groupBy('c.source')
              .addGroupBy('c.status')
              .getRawMany<{ source: string; status: string; n: number }>()
              .catch(() => []);
            for (const r of rows) this.set({ source: r.source, status: r.status }, r.n);
          },
        }),
    );
    once(
      'fdt_certificate_expiry_seconds',
      () =>
        new Gauge({
          name: 'fdt_certificate_expiry_seconds',
          help: 'Seconds until each certificate expires (negative: expired)',
          labelNames: ['hostname', 'source'],
          async collect() {
            this.reset();
            const rows =
              (await source()
                ?.find({ select: { hostname: true, source: true, notAfter: true } })
                .catch(() => [])) ?? [];
            const now = Date.now();
            for (const r of rows) {
              if (r.notAfter)
                this.set(
                  { hostname: r.hostname, source: r.source },
                  Math.round((r.notAfter.getTime() - now) / 1000),
                );
            }
          },
        }),
    );
  }

  onModuleDestroy(): void {
    sources.delete(this.certificates);
  }

  order(result: 'valid' | 'invalid' | 'error'): void {
    this.orders.inc({ result });
  }
}
