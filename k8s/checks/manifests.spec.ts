import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { copyOfK8s, K8S_DIR, type K8sObject, kustomizations, render } from './render.js';
import { checkObject, problems } from './strict-fields.js';

// Every kustomization renders, and every object it renders is a known kind that validates
// against the Kubernetes (or Prometheus Operator) schema with no field the schema lacks.
describe.each(kustomizations())('k8s/%s', (dir) => {
  const objects = render(join(K8S_DIR, dir));

  it('renders objects', () => {
    expect(objects.length).toBeGreaterThan(0);
  });

  it('validates every object against its schema, unknown fields included', () => {
    expect(problems(objects)).toEqual([]);
  });
});

// kustomize v2.0.3 (Debian's kubectl 1.20) and v5 must agree: with FDT_CHECK_KUBECTL_COMPARE
// naming a second kubectl, both renders are compared, object by object (generated names differ
// by their content hash only, and v2 adds empty label maps).
const compareWith = process.env.FDT_CHECK_KUBECTL_COMPARE;
(compareWith ? describe.each(kustomizations()) : describe.skip.each(['']))(
  'k8s/%s with a second kubectl',
  (dir) => {
    it('renders the same objects', () => {
      const normal = (objects: K8sObject[]) =>
        objects
          .map((o) => JSON.stringify(o, (k, v: unknown) => (k === 'labels' && isEmpty(v) ? undefined : v)))
          .map((s) => s.replace(/(fdt-(?:config|secrets))-[a-z0-9]{10}\b/g, '$1-HASH'))
          .sort();
      expect(normal(render(join(K8S_DIR, dir), compareWith))).toEqual(normal(render(join(K8S_DIR, dir))));
    });
  },
);

function isEmpty(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

// The checks above must catch what a person gets wrong: a copy of k8s/ broken on purpose.
describe('the manifest checks reject', () => {
  function renderBroken(file: string, from: string | RegExp, to: string) {
    const dir = copyOfK8s();
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const broken = text.replace(from, to);
    expect(broken).not.toBe(text);
    writeFileSync(path, broken);
    return render(join(dir, 'overlays/dev'));
  }

  it('a misspelled field (readinessProbee)', () => {
    const objects = renderBroken('base/api.yaml', 'readinessProbe:', 'readinessProbee:');
    expect(problems(objects)).toEqual([
      'Deployment/fdt-api: unknown field /spec/template/spec/containers/0/readinessProbee',
    ]);
  });

  it('a misspelled field under a map-valued parent (resources.limit)', () => {
    const objects = renderBroken('base/worker.yaml', 'limits: { memory: 768Mi }', 'limit: { memory: 768Mi }');
    expect(problems(objects)).toEqual([
      'Deployment/fdt-worker: unknown field /spec/template/spec/containers/0/resources/limit',
    ]);
  });

  it('a value of the wrong type (a string timeout)', () => {
    const objects = renderBroken('base/relay.yaml', /timeoutSeconds: 3\n/, 'timeoutSeconds: "3s"\n');
    const found = problems(objects);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^StatefulSet\/fdt-relay: .*livenessProbe\/timeoutSeconds must be integer/);
  });

  it('an unknown kind', () => {
    const verdict = checkObject({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } });
    expect(verdict.errors).toEqual(['no model for apps/v1 Deploymnet']);
  });

  it('a kustomization that does not render', () => {
    expect(() => renderBroken('overlays/dev/kustomization.yaml', '- redis.yaml', '- valkey.yaml')).toThrow();
  });
});
