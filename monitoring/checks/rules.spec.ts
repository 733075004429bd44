import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { alertProblems, type PromtoolTestFile, runbookPath } from './support/alert-coverage.js';
import {
  alerts,
  files,
  promtool,
  readYaml,
  ROOT,
  ruleFiles,
  rules,
  tempDir,
  TESTS_DIR,
} from './support/repo.js';

const readRunbook = (path: string): string | undefined =>
  existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), 'utf8') : undefined;
const testFiles = () => files(TESTS_DIR, '.yml');

describe('Prometheus rules (monitoring/prometheus/rules)', () => {
  it('pass promtool check rules', () => {
    const r = promtool('check', 'rules', ...ruleFiles());
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
    expect(alerts().length).toBeGreaterThanOrEqual(15);
  });

  it('pass their promtool unit tests (monitoring/prometheus/tests)', () => {
    const r = promtool('test', 'rules', ...testFiles());
    if (r.status !== 0) throw new Error(r.output);
    expect(r.output).toMatch(/SUCCESS/);
  });

  it('give every alert a severity, summary, description, runbook with its sections, and a unit test that sees it fire and stay quiet', () => {
    const tests = testFiles().map((f) => readYaml<PromtoolTestFile>(f));
    expect(alertProblems(alerts(), tests, readRunbook)).toEqual([]);
  });

  it('name every recording rule fdt:<what>:<how>, once', () => {
    const records = rules().flatMap((r) => (r.record ? [r.record] : []));
    expect(records.filter((r) => !/^fdt:[a-z0-9_]+:[a-z0-9_]+$/.test(r))).toEqual([]);
    expect(new Set(records).size).toBe(records.length);
  });
});

describe('the checks catch', () => {
  it('a rule file with broken PromQL (promtool check rules fails)', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yml');
    writeFileSync(
      bad,
      'groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: sum(rate(fdt_relay_handshakes_total[5m]) >\n',
    );
    const r = promtool('check', 'rules', bad);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/parse error|could not parse/);
  });

  it('a unit test that expects an alert the rules do not raise (promtool test rules fails)', () => {
    const dir = tempDir();
    const test = join(dir, 'wrong.yml');
    writeFileSync(
      test,
      [
        'rule_files:',
        ...ruleFiles().map((f) => `  - ${f}`),
        'evaluation_interval: 1m',
        'tests:',
        '  - interval: 1m',
        '    input_series:',
        `      - series: 'up{job="fdt-relay",instance="relay-0:9091"}'`,
        `        values: '1x20'`,
        '    alert_rule_test:',
        '      - eval_time: 10m',
        '        alertname: FdtRelayDown',
        '        exp_alerts:',
        '          - exp_labels: { severity: critical, component: relay, job: fdt-relay, instance: "relay-0:9091" }',
        '',
      ].join('\n'),
    );
    const r = promtool('test', 'rules', test);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/FAILED/);
  });

  it('an alert without a unit test, runbook_url, severity, or a runbook lacking a section', () => {
    const runbooks: Record<string, string> = {
      [runbookPath('Covered')]:
        '# Covered\n## What it means\nx\n## How to confirm\nx\n## How to mitigate\nx\n## How to escalate\nx\n',
      [runbookPath('Thin')]: '# Thin\n## What it means\nx\n## How to confirm\nx\n',
    };
    const ok = { summary: 's', description: 'd' };
    const problems = alertProblems(
      [
        {
          alert: 'Covered',
          expr: 'up == 0',
          labels: { severity: 'critical' },
          annotations: { ...ok, runbook_url: runbookPath('Covered') },
        },
        {
          alert: 'Untested',
          expr: 'up == 0',
          labels: { severity: 'warning' },
          annotations: { ...ok, runbook_url: runbookPath('Covered') },
        },
        { alert: 'NoRunbook', expr: 'up == 0', labels: { severity: 'page-me' }, annotations: ok },
        {
          alert: 'Missing',
          expr: 'up == 0',
          labels: { severity: 'warning' },
          annotations: { ...ok, runbook_url: runbookPath('Missing') },
        },
        {
          alert: 'Thin',
          expr: 'up == 0',
          labels: { severity: 'warning' },
          annotations: { ...ok, runbook_url: runbookPath('Thin') },
        },
      ],
      [
        {
          tests: [
            {
              alert_rule_test: [
                { alertname: 'Covered', exp_alerts: [] },
                {
                  alertname: 'Covered',
                  exp_alerts: [
                    { exp_labels: { severity: 'critical' }, exp_annotations: { runbook_url: 'x' } },
                  ],
                },
                { alertname: 'Missing', exp_alerts: [{ exp_labels: { severity: 'warning' } }] },
                { alertname: 'Thin', exp_alerts: [] },
                { alertname: 'Gone', exp_alerts: [] },
              ],
            },
          ],
        },
      ],
      (path) => runbooks[path],
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'Untested: runbook_url is docs/runbooks/Covered.md, expected docs/runbooks/Untested.md',
        'Untested: no promtool test sees it fire',
        'Untested: no promtool test sees it stay quiet',
        'NoRunbook: label severity must be one of critical, warning',
        'NoRunbook: annotation runbook_url is missing',
        'Missing: runbook docs/runbooks/Missing.md does not exist',
        'Missing: no promtool test checks its labels and annotations when it fires',
        'Missing: no promtool test sees it stay quiet',
        'Thin: runbook docs/runbooks/Thin.md lacks "## How to mitigate"',
        'Thin: runbook docs/runbooks/Thin.md lacks "## How to escalate"',
        'Thin: no promtool test sees it fire',
        'a promtool test names Gone, which no rule defines',
      ]),
    );
    expect(problems.filter((p) => p.startsWith('Covered'))).toEqual([]);
  });
});
