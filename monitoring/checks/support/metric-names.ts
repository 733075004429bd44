import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type MetricType = 'Counter' | 'Gauge' | 'Histogram' | 'Summary';

// Grepped, not scraped: starting api, relay and worker (PostgreSQL, Redis, a fake api) for a
// data check costs a minute and would still miss series that appear only after traffic. The
// registration sites are few and uniform: `new Counter|Gauge|Histogram({ name: 'fdt_…' })`,
// the name inline or in a constant of the same file.
const REGISTRATION = /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*(?:'(fdt_\w+)'|(\w+))/g;
const CONSTANT = /const (\w+) = '(fdt_\w+)'/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'testing'].includes(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(path));
    else if (e.name.endsWith('.ts') && !/\.(int-|e2e-)?spec\.ts$/.test(e.name)) out.push(path);
  }
  return out;
}

/** Every fdt_* metric the apps and libs register with prom-client, by name, with its type. */
export function registeredMetrics(root: string): Map<string, MetricType> {
  const found = new Map<string, MetricType>();
  for (const top of ['apps', 'libs'])
    for (const file of sources(join(root, top))) {
      const text = readFileSync(file, 'utf8');
      if (!text.includes('prom-client')) continue;
      const constants = new Map([...text.matchAll(CONSTANT)].map((m) => [m[1], m[2]]));
      for (const m of text.matchAll(REGISTRATION)) {
        const name = m[2] ?? constants.get(m[3] ?? '');
        if (name) found.set(name, m[1] as MetricType);
      }
    }
  return found;
}

/** The series names a registered metric exposes (a histogram's _bucket, _count, _sum). */
export function exposedSeries(metrics: Map<string, MetricType>): Set<string> {
  const out = new Set<string>();
  for (const [name, type] of metrics) {
    if (type === 'Histogram') for (const s of ['_bucket', '_count', '_sum']) out.add(name + s);
    else if (type === 'Summary') for (const s of ['', '_count', '_sum']) out.add(name + s);
    else out.add(name);
  }
  return out;
}

/** fdt_* names an expression reads (recording rules are fdt:…, with a colon, and not matched). */
export const fdtNamesIn = (expr: string): string[] =>
  [...expr.matchAll(/\b(fdt_[a-z0-9_]+)\b/g)].map((m) => m[1] ?? '');
/** fdt:… recorded series an expression reads. */
export const recordedNamesIn = (expr: string): string[] =>
  [...expr.matchAll(/\b(fdt:[a-z0-9_]+:[a-z0-9_]+)\b/g)].map((m) => m[1] ?? '');

/** Names read by `exprs` that nothing exposes: `where` says whose expression it is. */
export function unknownNames(
  exprs: { where: string; expr: string }[],
  exposed: Set<string>,
  recorded: Set<string>,
): string[] {
  const out: string[] = [];
  for (const { where, expr } of exprs) {
    for (const n of fdtNamesIn(expr))
      if (!exposed.has(n)) out.push(`${where}: ${n} is not exposed by the code`);
    for (const n of recordedNamesIn(expr))
      if (!recorded.has(n)) out.push(`${where}: ${n} is not a recording rule`);
  }
  return out;
}
