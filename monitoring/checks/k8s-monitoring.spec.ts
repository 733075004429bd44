import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments, stringify } from 'yaml';
import { alerts, promtool, ROOT, tempDir, type RuleFile } from './support/repo.js';

const SCRIPT = join(ROOT, 'monitoring/scripts/sync-k8s.mjs');
const sync = (...args: string[]) =>
  spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', cwd: ROOT });

// kustomize v5 (kubectl on PATH) and, where it is installed, Debian's kubectl 1.20 (kustomize v2.0.3).
const OLD_KUBECTL = '/tmp/kc/root/usr/bin/kubectl';
const kubectls = ['kubectl', ...(existsSync(OLD_KUBECTL) ? [OLD_KUBECTL] : [])];

interface Rendered {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: RuleFile;
  data?: Record<string, string>;
}

describe('k8s/monitoring', () => {
  it('is in sync with monitoring/ (node monitoring/scripts/sync-k8s.mjs)', () => {
    const r = sync('--check');
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('sync --check fails on a stale copy', () => {
    const out = tempDir();
    expect(sync('--out', out).status).toBe(0);
    expect(sync('--check', '--out', out).status).toBe(0);
    writeFileSync(
      join(out, 'prometheus-rule.yaml'),
      readFileSync(join(out, 'prometheus-rule.yaml'), 'utf8').replace('for: 2m', 'for: 1m'),
    );
    const r = sync('--check', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stale: .*prometheus-rule\.yaml/);
  });

  it('writes absolute runbook URLs with --runbook-base', () => {
    const out = tempDir();
    expect(sync('--out', out, '--runbook-base', 'https://git.example.com/fdt/-/blob/v1/').status).toBe(0);
    expect(readFileSync(join(out, 'prometheus-rule.yaml'), 'utf8')).toContain(
      'runbook_url: https://git.example.com/fdt/-/blob/v1/docs/runbooks/FdtRelayDown.md',
    );
  });

  it.each(kubectls)(
    'renders with %s kustomize: a PrometheusRule with every alert, promtool-valid, and the dashboard ConfigMap',
    (kubectl) => {
      const docs = parseAllDocuments(
        execFileSync(kubectl, ['kustomize', join(ROOT, 'k8s/monitoring')], { encoding: 'utf8' }),
      ).map((d) => d.toJS() as Rendered);
      const rule = docs.find((d) => d.kind === 'PrometheusRule');
      const names = (rule?.spec?.groups ?? []).flatMap((g) =>
        g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
      );
      expect(names.sort()).toEqual(
        alerts()
          .map((a) => a.alert)
          .sort(),
      );

      const file = join(tempDir(), 'from-k8s.yml');
      writeFileSync(file, stringify({ groups: rule?.spec?.groups }));
      const check = promtool('check', 'rules', file);
      if (check.status !== 0) throw new Error(check.output);

      const cm = docs.find((d) => d.kind === 'ConfigMap');
      expect(cm?.metadata.labels?.['grafana_dashboard']).toBe('1');
      expect(cm?.data?.['fdt.json']).toBe(
        readFileSync(join(ROOT, 'monitoring/grafana/dashboards/fdt.json'), 'utf8'),
      );
    },
  );
});
