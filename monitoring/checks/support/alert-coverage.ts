import type { Rule } from './repo.js';

/** The sections every runbook has, as `## <section>` headings. */
export const RUNBOOK_SECTIONS = ['What it means', 'How to confirm', 'How to mitigate', 'How to escalate'];
export const SEVERITIES = ['critical', 'warning'];

interface AlertCase {
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}
export interface PromtoolTestFile {
  tests?: { alert_rule_test?: AlertCase[] }[];
}

/** Where an alert's runbook lives, relative to the repository root (its runbook_url). */
export const runbookPath = (alert: string): string => `docs/runbooks/${alert}.md`;

/**
 * What is missing for each alert: labels, annotations, a runbook with its sections, and a
 * promtool unit test that sees it fire (with labels and annotations) and stay quiet.
 * `readRunbook` returns a runbook's text, or undefined when the file does not exist.
 */
export function alertProblems(
  alerts: Rule[],
  tests: PromtoolTestFile[],
  readRunbook: (path: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  const cases = tests.flatMap((f) => (f.tests ?? []).flatMap((t) => t.alert_rule_test ?? []));
  const names = alerts.map((a) => a.alert ?? '');
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i)))
    problems.push(`${name}: defined more than once`);

  for (const a of alerts) {
    const name = a.alert ?? '(unnamed)';
    const say = (what: string) => problems.push(`${name}: ${what}`);
    if (!SEVERITIES.includes(a.labels?.severity ?? ''))
      say(`label severity must be one of ${SEVERITIES.join(', ')}`);
    for (const key of ['summary', 'description'])
      if (!a.annotations?.[key]?.trim()) say(`annotation ${key} is missing`);
    const url = a.annotations?.runbook_url;
    if (!url) say('annotation runbook_url is missing');
    else if (url !== runbookPath(name)) say(`runbook_url is ${url}, expected ${runbookPath(name)}`);
    else {
      const text = readRunbook(url);
      if (text === undefined) say(`runbook ${url} does not exist`);
      else
        for (const section of RUNBOOK_SECTIONS)
          if (!new RegExp(`^##\\s+${section}\\s*$`, 'im').test(text))
            say(`runbook ${url} lacks "## ${section}"`);
    }
    const mine = cases.filter((c) => c.alertname === name);
    const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0);
    if (!firing.length) say('no promtool test sees it fire');
    else if (
      !firing.some((c) =>
        (c.exp_alerts ?? []).every((e) => e.exp_labels?.severity && e.exp_annotations?.runbook_url),
      )
    )
      say('no promtool test checks its labels and annotations when it fires');
    if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) say('no promtool test sees it stay quiet');
  }
  for (const c of cases)
    if (!names.includes(c.alertname))
      problems.push(`a promtool test names ${c.alertname}, which no rule defines`);
  return [...new Set(problems)];
}
