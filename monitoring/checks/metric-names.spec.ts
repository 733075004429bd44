import { describe, expect, it } from '@jest/globals';
import { MONITORED_PREFIXES, monitoredMetricNames, undeclaredMonitoredMetrics } from '@fdt/testing';
import { dashboardTargets } from './support/dashboard.js';
import { exposedSeries, registeredMetrics, unknownNames } from './support/metric-names.js';
import { ROOT, rules } from './support/repo.js';

const recorded = () => new Set(rules().flatMap((r) => (r.record ? [r.record] : [])));

describe('metric names in rules and the dashboard', () => {
  const registered = registeredMetrics(ROOT);

  it('finds the registration sites (the grep still matches how the code registers metrics)', () => {
    for (const [name, type] of [
      ['fdt_relay_agents_connected', 'Gauge'],
      ['fdt_relay_capacity', 'Gauge'],
      ['fdt_relay_request_duration_seconds', 'Histogram'],
      ['fdt_http_request_duration_seconds', 'Histogram'],
      ['fdt_dependency_up', 'Gauge'],
      ['fdt_queue_jobs', 'Gauge'],
      ['fdt_auth_login_failures_total', 'Counter'],
      ['fdt_certificate_expiry_seconds', 'Gauge'],
    ])
      expect([name, registered.get(name)]).toEqual([name, type]);
  });

  it('name only fdt_* series the code exposes, and only recording rules that exist', () => {
    const exprs = [
      ...rules().map((r) => ({ where: r.alert ?? r.record ?? '?', expr: r.expr })),
      ...dashboardTargets().map((t) => ({ where: `dashboard panel "${t.panel}"`, expr: t.expr })),
    ];
    expect(unknownNames(exprs, exposedSeries(registered), recorded())).toEqual([]);
  });

  it('catch a made-up metric, a histogram suffix on a gauge, and an unknown recording rule', () => {
    expect(
      unknownNames(
        [
          { where: 'A', expr: 'rate(fdt_relay_made_up_total[5m])' },
          { where: 'B', expr: 'fdt_relay_agents_connected_count' },
          {
            where: 'C',
            expr: 'fdt:relay_nothing:rate5m > 1 and fdt_relay_request_duration_seconds_bucket > 0',
          },
        ],
        exposedSeries(registered),
        recorded(),
      ),
    ).toEqual([
      'A: fdt_relay_made_up_total is not exposed by the code',
      'B: fdt_relay_agents_connected_count is not exposed by the code',
      'C: fdt:relay_nothing:rate5m is not a recording rule',
    ]);
  });

  // The apps' int tests scrape the running api, relay and worker and check their share of these
  // names (undeclaredMonitoredMetrics with MONITORED_PREFIXES): every name needs an owner.
  it('give every fdt_* name read an app whose scrape test checks it', () => {
    const names = monitoredMetricNames();
    expect(names.length).toBeGreaterThan(15);
    const prefixes = Object.values(MONITORED_PREFIXES).flat();
    expect(names.filter((n) => !prefixes.some((p) => n.startsWith(p)))).toEqual([]);
  });

  it('scrape check reports what a /metrics text does not declare', () => {
    const text = '# TYPE fdt_relay_request_duration_seconds histogram\n# TYPE fdt_relay_tunnels gauge\n';
    const missing = undeclaredMonitoredMetrics(text, MONITORED_PREFIXES.relay);
    expect(missing).toContain('fdt_relay_agents_connected');
    expect(missing).not.toContain('fdt_relay_request_duration_seconds_bucket');
    expect(missing).not.toContain('fdt_relay_tunnels');
  });
});
