import type { K8sObject } from './render.js';

// Loose views of the rendered objects: the schema checks (strict-fields.ts) have already
// held them to the Kubernetes types, these only name the fields the sanity checks read.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}
export interface Probe {
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    automountServiceAccountToken?: boolean;
    enableServiceLinks?: boolean;
    securityContext?: SecurityContext;
  };
}
export interface Workload {
  object: K8sObject;
  template: PodTemplate;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** Every object that runs pods, with its pod template. */
export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((object) => ({ object, template: (object.spec as { template: PodTemplate }).template }));
}

export function containersOf(w: Workload): Container[] {
  return [...(w.template.spec.initContainers ?? []), ...w.template.spec.containers];
}

/** The label selector semantics of NetworkPolicies, PDBs and Services (matchExpressions: In only). */
export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
export function selects(selector: Selector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === 'In') return e.values?.includes(labels[e.key] ?? '') ?? false;
    throw new Error(`selector operator ${e.operator}: teach selects() first`);
  });
  return byLabels && byExpressions;
}

export function isFdtImage(image: string): boolean {
  return /^(.*\/)?fdt\/(api|relay|worker)[:@]/.test(image) || /(^|\/)fdt\/(api|relay|worker)$/.test(image);
}
