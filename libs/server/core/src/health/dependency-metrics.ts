import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { Gauge, register } from 'prom-client';

/** The services /readyz pings, as the `dependency` label names them (alerts match on it). */
export type Dependency = 'postgres' | 'redis';

// A readiness result older than this is refreshed when /metrics is scraped: nothing may be
// probing /readyz (docker compose, a plain Prometheus), and a stale 1 would hide an outage.
const FRESH_MS = 10_000;

type Check = () => PromiseLike<HealthIndicatorResult>;

// `npm start` hosts api and worker in one process on one registry (the relay runs in its own
// child process): each app adds its own checks.
const refreshers = new Set<() => Promise<void>>();

const NAME = 'fdt_dependency_up';
const gauge = (): Gauge<'dependency'> =>
  (register.getSingleMetric(NAME) as Gauge<'dependency'> | undefined) ??
  new Gauge({
    name: NAME,
    help: 'Whether the last readiness check reached the dependency (1) or not (0): postgres, redis',
    labelNames: ['dependency'],
    async collect() {
      await Promise.all([...refreshers].map((refresh) => refresh()));
    },
  });

/**
 * fdt_dependency_up{dependency}: set by each readiness check of PostgreSQL and Redis (kubelet
 * probes /readyz every few seconds), and re-checked at scrape time when no probe ran lately.
 */
@Injectable()
export class DependencyMetrics implements OnModuleDestroy {
  private readonly up = gauge();
  private readonly checks: { dependency: Dependency; check: Check }[] = [];
  private readonly checkedAt = new Map<Dependency, number>();
  private readonly refresh = async (): Promise<void> => {
    const now = Date.now();
    await Promise.all(
      this.checks
        .filter((c) => now - (this.checkedAt.get(c.dependency) ?? 0) >= FRESH_MS)
        .map((c) => Promise.resolve(c.check()).catch(() => undefined)),
    );
  };

  constructor() {
    refreshers.add(this.refresh);
  }

  /** The check, recording its outcome under `dependency` each time it runs. */
  track(dependency: Dependency, key: string, check: Check): Check {
    const tracked = async (): Promise<HealthIndicatorResult> => {
      try {
        const result = await check();
        this.record(dependency, result[key]?.status === 'up');
        return result;
      } catch (e) {
        this.record(dependency, false);
        throw e;
      }
    };
    this.checks.push({ dependency, check: tracked });
    return tracked;
  }

  private record(dependency: Dependency, up: boolean): void {
    this.checkedAt.set(dependency, Date.now());
    this.up.set({ dependency }, up ? 1 : 0);
  }

  onModuleDestroy(): void {
    refreshers.delete(this.refresh);
  }
}
