import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One rendered Kubernetes object, as kustomize prints it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export const K8S_DIR = join(import.meta.dirname, '..');

/**
 * What `npm test` renders: both overlays, and the monitoring kustomization once it exists
 * (another part of the tree provides it).
 */
export function kustomizations(root = K8S_DIR): string[] {
  const dirs = ['overlays/dev', 'overlays/production', 'monitoring'];
  return dirs.filter((d) => existsSync(join(root, d, 'kustomization.yaml')));
}

/**
 * `kubectl kustomize <dir>`: the machine's kubectl, or another one named by
 * FDT_CHECK_KUBECTL (e.g. Debian's kubectl 1.20 with kustomize v2.0.3, which CI installs
 * where kubectl is missing: every manifest here is written for both).
 */
export function render(dir: string, kubectl = process.env.FDT_CHECK_KUBECTL ?? 'kubectl'): K8sObject[] {
  const out = execFileSync(kubectl, ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(out)
    .map((d) => {
      if (d.errors.length) throw new Error(`${dir}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null)
    .map(unwrapSecretData);
}

// kustomize v5 wraps long base64 values of generated Secrets over several lines; the API
// server's base64 decoder skips the line breaks, the schema's `byte` format does not.
function unwrapSecretData(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret' || !o.data) return o;
  const data = Object.fromEntries(
    Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]),
  );
  return { ...o, data };
}

/** A copy of k8s/ (without the checks) to break on purpose in negative tests. */
export function copyOfK8s(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdt-k8s-'));
  for (const part of ['base', 'overlays']) cpSync(join(K8S_DIR, part), join(dir, part), { recursive: true });
  return dir;
}
