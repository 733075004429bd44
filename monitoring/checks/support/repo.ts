import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The repository root (monitoring/checks/support is three levels down). */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const RULES_DIR = join(ROOT, 'monitoring/prometheus/rules');
export const TESTS_DIR = join(ROOT, 'monitoring/prometheus/tests');
export const DASHBOARDS_DIR = join(ROOT, 'monitoring/grafana/dashboards');

export const files = (dir: string, ext: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(dir, f));

export const readYaml = <T = unknown>(path: string): T => parse(readFileSync(path, 'utf8')) as T;

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'fdt-monitoring-'));

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

export const ruleFiles = (): string[] => files(RULES_DIR, '.yml');
export const rules = (): Rule[] =>
  ruleFiles().flatMap((f) => readYaml<RuleFile>(f).groups.flatMap((g) => g.rules));
export const alerts = (): Rule[] => rules().filter((r) => r.alert !== undefined);

/** promtool's exit status and everything it printed (it reports failures on stdout). */
export function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd: ROOT });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
