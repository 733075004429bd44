import type { Projection } from './list-query.js';

// Applies `attributes` / `excludedAttributes` to a resource as JSON (RFC 7644 §3.9). `id` and
// `schemas` are "returned: always" and survive both.
const ALWAYS = new Set(['id', 'schemas']);

type Json = Record<string, unknown>;

/** `urn:…:User:name.givenName` → ['name', 'givenname'] lower-cased; other schemas' paths are dropped. */
function paths(list: string[] | undefined, schema: string): [string, string | undefined][] {
  const prefix = `${schema.toLowerCase()}:`;
  const out: [string, string | undefined][] = [];
  for (const raw of list ?? []) {
    let p = raw.toLowerCase();
    if (p.startsWith(prefix)) p = p.slice(prefix.length);
    else if (p.startsWith('urn:')) continue;
    const [attr, sub] = p.split('.');
    out.push([attr, sub]);
  }
  return out;
}

function pick(value: unknown, subs: Set<string>): unknown {
  const one = (v: unknown) =>
    typeof v === 'object' && v !== null
      ? Object.fromEntries(Object.entries(v).filter(([k]) => subs.has(k.toLowerCase())))
      : v;
  return Array.isArray(value) ? value.map(one) : one(value);
}

function omit(value: unknown, subs: Set<string>): unknown {
  const one = (v: unknown) =>
    typeof v === 'object' && v !== null
      ? Object.fromEntries(Object.entries(v).filter(([k]) => !subs.has(k.toLowerCase())))
      : v;
  return Array.isArray(value) ? value.map(one) : one(value);
}

export function project(resource: Json, schema: string, p: Projection): Json {
  let out: Json = resource;
  const wanted = paths(p.attributes, schema);
  if (wanted.length) {
    const whole = new Set(wanted.filter(([, s]) => !s).map(([a]) => a));
    const subs = new Map<string, Set<string>>();
    for (const [a, s] of wanted) if (s) subs.set(a, (subs.get(a) ?? new Set()).add(s));
    out = {};
    for (const [k, v] of Object.entries(resource)) {
      const key = k.toLowerCase();
      if (ALWAYS.has(key) || whole.has(key)) out[k] = v;
      else if (subs.has(key)) out[k] = pick(v, subs.get(key) as Set<string>);
    }
  }
  const unwanted = paths(p.excludedAttributes, schema);
  if (unwanted.length) {
    const whole = new Set(unwanted.filter(([a, s]) => !s && !ALWAYS.has(a)).map(([a]) => a));
    const subs = new Map<string, Set<string>>();
    for (const [a, s] of unwanted) if (s) subs.set(a, (subs.get(a) ?? new Set()).add(s));
    const next: Json = {};
    for (const [k, v] of Object.entries(out)) {
      const key = k.toLowerCase();
      if (whole.has(key)) continue;
      next[k] = subs.has(key) ? omit(v, subs.get(key) as Set<string>) : v;
    }
    out = next;
  }
  return out;
}

/** Whether the projection leaves an attribute out (to skip loading it). */
export function excludes(p: Projection, schema: string, attr: string): boolean {
  const a = attr.toLowerCase();
  const wanted = paths(p.attributes, schema);
  if (wanted.length && !wanted.some(([x]) => x === a)) return true;
  return paths(p.excludedAttributes, schema).some(([x, s]) => x === a && !s);
}
