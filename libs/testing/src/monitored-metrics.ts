import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The repository root (this file is libs/testing/src/monitored-metrics.ts).
const ROOT = resolve(import.meta.dirname, '../../..');
const SOURCES = ['monitoring/prometheus/rules', 'monitoring/grafana/dashboards'];

/**
 * Which app's /metrics exposes which fdt_* series the monitoring rules and dashboard read, by
 * name prefix: each app's int test scrapes the running app and checks its share
 * (undeclaredMonitoredMetrics); monitoring/checks checks that every name read has an owner.
 */
export const MONITORED_PREFIXES = {
  api: ['fdt_auth_', 'fdt_http_', 'fdt_dependency_', 'fdt_certificate'],
  relay: ['fdt_relay_'],
  worker: ['fdt_queue_', 'fdt_worker_', 'fdt_acme_', 'fdt_certificate', 'fdt_dependency_', 'fdt_http_'],
} as const;

/** Every fdt_* series name the rules (monitoring/prometheus/rules) and dashboards read. */
export function monitoredMetricNames(): string[] {
  const names = new Set<string>();
  for (const dir of SOURCES)
    for (const f of readdirSync(join(ROOT, dir)))
      for (const m of readFileSync(join(ROOT, dir, f), 'utf8').matchAll(/\bfdt_[a-z0-9_]+\b/g))
        names.add(m[0]);
  return [...names].sort();
}

/**
 * The names with one of `prefixes` that the rules or dashboard read and that a /metrics text
 * does not declare. prom-client prints `# TYPE` for every registered metric, samples or not;
 * a histogram's _bucket/_count/_sum belong to its declared name.
 */
export function undeclaredMonitoredMetrics(metricsText: string, prefixes: readonly string[]): string[] {
  const declared = new Map(
    [...metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
  return monitoredMetricNames()
    .filter((n) => prefixes.some((p) => n.startsWith(p)))
    .filter((n) => {
      if (declared.has(n)) return false;
      const base = n.replace(/_(bucket|count|sum)$/, '');
      return declared.get(base) !== 'histogram';
    });
}
