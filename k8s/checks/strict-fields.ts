import type { K8sObject } from './render.js';
import { modelOf } from './models.js';

interface Visit {
  keys: string[];
  read: Set<string>;
  /** The validator listed the object's keys: a map (labels, data, resources), any key is fine. */
  enumerated: boolean;
  /** The validator looked into the object at all (it does not look into unknown fields). */
  reached: boolean;
}

/**
 * Why a proxy: kubernetes-models ships its schemas compiled to validator functions (ajv
 * standalone code), not as JSON schemas to walk, and the Kubernetes schemas do not forbid
 * unknown properties, so `validate()` accepts `readinessProbee`. A compiled validator reads
 * every property its schema declares (`data.readinessProbe`) and enumerates the keys of maps
 * only; running it on a proxy that records those reads leaves exactly the undeclared keys
 * unread.
 */
function watch(value: unknown, path: string, visits: Map<string, Visit>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => watch(v, `${path}/${i}`, visits));
  const visit: Visit = { keys: Object.keys(value), read: new Set(), enumerated: false, reached: false };
  visits.set(path, visit);
  const copy = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, watch(v, `${path}/${k}`, visits)]),
  );
  return new Proxy(copy, {
    get(target, key, receiver) {
      visit.reached = true;
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      visit.reached = true;
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      visit.reached = true;
      visit.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

export interface Verdict {
  /** the schema's own errors (types, enums, required fields) */
  errors: string[];
  /** JSON pointers of properties the schema does not declare */
  unknownFields: string[];
}

/** Validates one object against its model's schema, and reports fields the schema does not know. */
export function checkObject(o: K8sObject): Verdict {
  const model = modelOf(o);
  if (!model) return { errors: [`no model for ${o.apiVersion} ${o.kind}`], unknownFields: [] };
  const visits = new Map<string, Visit>();
  const errors: string[] = [];
  try {
    model.prototype.validate.call(watch(o, '', visits));
  } catch (e) {
    errors.push((e as Error).message);
  }
  const unknownFields: string[] = [];
  for (const [path, v] of visits) {
    // Inside an unknown field nothing is read: only the field itself is reported.
    if (v.enumerated || !v.reached) continue;
    for (const k of v.keys) if (!v.read.has(k)) unknownFields.push(`${path}/${k}`);
  }
  return { errors, unknownFields };
}

/** Every problem of a rendered set, one line each (`Kind/name: ...`). */
export function problems(objects: K8sObject[]): string[] {
  return objects.flatMap((o) => {
    const v = checkObject(o);
    const at = `${o.kind}/${o.metadata.name}`;
    return [
      ...v.errors.map((e) => `${at}: ${e}`),
      ...v.unknownFields.map((f) => `${at}: unknown field ${f}`),
    ];
  });
}
