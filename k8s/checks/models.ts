import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { K8sObject } from './render.js';

/** A kubernetes-models class: its apiVersion, kind and the schema's validate() on its prototype. */
interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
}

function isModelClass(v: unknown): v is ModelClass {
  return (
    typeof v === 'function' &&
    typeof (v as Partial<ModelClass>).apiVersion === 'string' &&
    typeof (v as Partial<ModelClass>).kind === 'string'
  );
}

// The API groups a manifest here may use. Anything else (a typo in a kind, a group nobody
// reviewed) has no model and fails the checks.
const MODELS = new Map<string, ModelClass>();
for (const group of [coreV1, appsV1, batchV1, policyV1, autoscalingV2, networkingV1, rbacV1, monitoringV1]) {
  for (const v of Object.values(group)) if (isModelClass(v)) MODELS.set(`${v.apiVersion}/${v.kind}`, v);
}

export function modelOf(o: Pick<K8sObject, 'apiVersion' | 'kind'>): ModelClass | undefined {
  return MODELS.get(`${o.apiVersion}/${o.kind}`);
}
