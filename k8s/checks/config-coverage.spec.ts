import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadPlatformConfig, platformConfigSchema } from '@fdt/server-core/edge';
import { podEnv } from './pod-env.js';
import { K8S_DIR, type K8sObject, render } from './render.js';
import { containersOf, isFdtImage, workloads } from './workloads.js';

// The configuration schema is the list of settings (libs/server/core/src/config/platform-config.ts):
// every one needs a place in the manifests, and the manifests name no other.
const SCHEMA_VARIABLES = Object.keys(platformConfigSchema.shape);
const UNSET_ANNOTATION = 'fdt/unset-optional-variables';
const VARIABLE = /\b(FDT_[A-Z0-9_]+|DATABASE_URL|REDIS_URL|NODE_ENV)\b/g;

/** Where a setting can live: a key of fdt-config, a container's env, or the list of optional ones left unset. */
function places(objects: K8sObject[]): Set<string> {
  const found = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'ConfigMap' && o.metadata.name.startsWith('fdt-config')) {
      for (const k of Object.keys((o.data as Record<string, string> | undefined) ?? {})) found.add(k);
      for (const k of o.metadata.annotations?.[UNSET_ANNOTATION]?.split(/\s+/).filter(Boolean) ?? [])
        found.add(k);
    }
  }
  for (const w of workloads(objects)) {
    for (const c of containersOf(w)) if (isFdtImage(c.image)) for (const e of c.env ?? []) found.add(e.name);
  }
  return found;
}

/** Every variable-like name anywhere in the objects, keys and values alike. */
function mentioned(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(VARIABLE)) into.add(m[1]);
  else if (Array.isArray(value)) for (const v of value) mentioned(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      mentioned(k, into);
      mentioned(v, into);
    }
  }
  return into;
}

function coverage(objects: K8sObject[]): { missing: string[]; unknown: string[] } {
  const have = places(objects);
  return {
    missing: SCHEMA_VARIABLES.filter((v) => !have.has(v)),
    unknown: [...mentioned(objects)].filter((v) => !SCHEMA_VARIABLES.includes(v)).sort(),
  };
}

describe('the configuration schema', () => {
  it('is read from @fdt/server-core (FDT_* variables and the three others)', () => {
    expect(SCHEMA_VARIABLES).toEqual(
      expect.arrayContaining(['NODE_ENV', 'DATABASE_URL', 'REDIS_URL', 'FDT_RELAY_NAME']),
    );
    expect(SCHEMA_VARIABLES.length).toBeGreaterThan(50);
  });
});

describe.each(['overlays/dev', 'overlays/production'])('k8s/%s', (dir) => {
  const objects = render(join(K8S_DIR, dir));

  it('gives every variable of the schema a place, and names none the schema lacks', () => {
    expect(coverage(objects)).toEqual({ missing: [], unknown: [] });
  });

  it('leaves the optional variables it lists as unset out of fdt-config', () => {
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('fdt-config'));
    const unset = config?.metadata.annotations?.[UNSET_ANNOTATION]?.split(/\s+/).filter(Boolean) ?? [];
    expect(unset.length).toBeGreaterThan(0);
    expect(unset.filter((v) => v in ((config?.data as object | undefined) ?? {}))).toEqual([]);
  });

  // The values, not only the names: what each container starts with is a configuration the
  // apps accept (types, ranges, the rules between settings such as PROXY protocol + proxies).
  it.each(
    workloads(objects).flatMap((w) =>
      containersOf(w)
        .filter((c) => isFdtImage(c.image))
        .map((c) => [`${w.object.kind}/${w.object.metadata.name}`, w, c] as const),
    ),
  )('starts %s with a configuration the apps accept', (_name, w, c) => {
    expect(() => loadPlatformConfig(podEnv(objects, w, c))).not.toThrow();
  });
});

describe('the coverage check reports', () => {
  const objects = render(join(K8S_DIR, 'overlays/dev'));
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('fdt-config'));

  it('a variable of the schema without a place', () => {
    const data = { ...(config?.data as Record<string, string>) };
    delete data.FDT_RELAY_CAPACITY;
    const edited = objects.map((o) => (o === config ? { ...o, data } : o));
    expect(coverage(edited)).toEqual({ missing: ['FDT_RELAY_CAPACITY'], unknown: [] });
  });

  it('a variable the schema does not have, wherever it is named', () => {
    const data = { ...(config?.data as Record<string, string>), FDT_RELAY_CAPACTY: '10' };
    const edited = objects.map((o) => (o === config ? { ...o, data } : o));
    expect(coverage(edited)).toEqual({ missing: [], unknown: ['FDT_RELAY_CAPACTY'] });
  });
});
