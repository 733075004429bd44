import { randomBytes } from 'node:crypto';
import type { K8sObject } from './render.js';
import type { Container, Workload } from './workloads.js';

// Values for the Secret the production operator creates (it is not in the manifests): valid
// in form, so the configuration they complete can be checked like a real one.
const OPERATOR_SECRET_EXAMPLES: Record<string, string> = {
  FDT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  FDT_RELAY_SECRET: randomBytes(32).toString('base64'),
  DATABASE_URL: 'postgres://fdt:password@postgres.example.com:5432/fdt',
  REDIS_URL: 'rediss://redis.example.com:6380',
};

function byName(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/**
 * The environment a container would start with, as the kubelet builds it: envFrom first,
 * then env in order with $(VAR) references expanded; downward-API fields get a pod's values.
 * A key of a Secret that is not rendered (the operator's) gets an example value when
 * required and is left unset when optional.
 */
export function podEnv(objects: K8sObject[], w: Workload, c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  const ns = w.object.metadata.namespace ?? 'default';
  const podName =
    w.object.kind === 'StatefulSet' ? `${w.object.metadata.name}-0` : `${w.object.metadata.name}-7d9f8-x2k4q`;
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = byName(objects, 'ConfigMap', from.configMapRef.name);
      if (!cm) throw new Error(`${c.name}: ConfigMap ${from.configMapRef.name} is not rendered`);
      Object.assign(env, cm.data);
    }
    if (from.secretRef) throw new Error(`${c.name}: envFrom secretRef: name each secret key instead`);
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom;
    if (e.value !== undefined) {
      env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
    } else if (ref?.fieldRef) {
      const fields: Record<string, string> = {
        'metadata.name': podName,
        'metadata.namespace': ns,
        'status.podIP': '10.1.2.3',
      };
      const v = fields[ref.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`${c.name}: fieldRef ${ref.fieldRef.fieldPath}: teach podEnv()`);
      env[e.name] = v;
    } else if (ref?.secretKeyRef) {
      const { name, key, optional } = ref.secretKeyRef;
      const secret = byName(objects, 'Secret', name);
      const data = secret?.data as Record<string, string> | undefined;
      if (secret) {
        if (data?.[key] !== undefined) env[e.name] = Buffer.from(data[key], 'base64').toString('utf8');
        else if (!optional) throw new Error(`${c.name}: Secret ${name} has no key ${key}`);
      } else if (!optional) {
        const example = OPERATOR_SECRET_EXAMPLES[key];
        if (example === undefined)
          throw new Error(`${c.name}: no example value for the operator's ${name}/${key}`);
        env[e.name] = example;
      }
    } else if (ref?.configMapKeyRef) {
      const cm = byName(objects, 'ConfigMap', ref.configMapKeyRef.name);
      const v = (cm?.data as Record<string, string> | undefined)?.[ref.configMapKeyRef.key];
      if (v !== undefined) env[e.name] = v;
      else if (!ref.configMapKeyRef.optional)
        throw new Error(`${c.name}: ${ref.configMapKeyRef.name}/${ref.configMapKeyRef.key} missing`);
    }
  }
  return env;
}
