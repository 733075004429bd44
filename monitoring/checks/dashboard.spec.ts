import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { dashboards, dashboardTargets, panelsOf } from './support/dashboard.js';
import { files, promtool, readYaml, ROOT, tempDir } from './support/repo.js';

const PROVISIONING = join(ROOT, 'monitoring/grafana/provisioning');

/** `promtool check rules` on the expressions, each as a recording rule (Grafana is not installable here). */
function checkExpressions(exprs: string[]): { status: number | null; output: string } {
  const file = join(tempDir(), 'dashboard-exprs.yml');
  const rules = exprs.map((expr, i) => ({ record: `dashboard:expr_${i}:check`, expr }));
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
  return promtool('check', 'rules', file);
}

describe('Grafana dashboard (monitoring/grafana/dashboards)', () => {
  it('parses, with a uid and panels whose ids are unique', () => {
    const all = dashboards();
    expect(all.length).toBeGreaterThan(0);
    for (const { dashboard } of all) {
      expect(dashboard.uid).toMatch(/^[a-z0-9-]+$/);
      const ids = panelsOf(dashboard).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('covers relay, api and worker: traffic, latency, errors by reason, agents, tunnels, capacity, queues, certificates', () => {
    const exprs = dashboardTargets()
      .map((t) => t.expr)
      .join('\n');
    for (const series of [
      'fdt:relay_requests_by_class:rate5m',
      'fdt:relay_request_duration_seconds:p99_rate5m',
      'fdt:relay_rejections:rate5m',
      'fdt_relay_agents_connected',
      'fdt_relay_tunnels',
      'fdt:relay_capacity:ratio',
      'fdt:http_requests_5xx:ratio_rate5m',
      'fdt:queue_jobs:max',
      'fdt:certificate_expiry_seconds:min',
    ])
      expect(exprs).toContain(series);
  });

  it('has only expressions promtool accepts', () => {
    const targets = dashboardTargets();
    expect(targets.length).toBeGreaterThan(20);
    const r = checkExpressions(targets.map((t) => t.expr));
    if (r.status !== 0) throw new Error(r.output);
  });

  it('names the datasource uid that provisioning creates', () => {
    const uids = files(join(PROVISIONING, 'datasources'), '.yml').flatMap((f) =>
      readYaml<{ datasources: { uid: string; type: string }[] }>(f).datasources.map((d) => d.uid),
    );
    expect(uids).toEqual(['fdt-prometheus']);
    expect([...new Set(dashboardTargets().map((t) => t.uid))]).toEqual(uids);
  });

  it('check catches a broken expression', () => {
    const r = checkExpressions(['sum(rate(fdt_relay_bytes_total[5m])) by (']);
    expect(r.status).not.toBe(0);
  });
});
