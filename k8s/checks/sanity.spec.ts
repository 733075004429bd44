import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadPlatformConfig, type PlatformConfig } from '@fdt/server-core/edge';
import { podEnv } from './pod-env.js';
import { K8S_DIR, type K8sObject, render } from './render.js';
import {
  type Container,
  containersOf,
  isFdtImage,
  type Selector,
  selects,
  type Workload,
  workloads,
} from './workloads.js';

// What an SRE checks before letting manifests into a cluster, on what the overlays render.
const OVERLAYS = ['overlays/dev', 'overlays/production'];

function ofKind<T = Record<string, unknown>>(
  objects: K8sObject[],
  kind: string,
): (K8sObject & { spec: T })[] {
  return objects.filter((o) => o.kind === kind) as (K8sObject & { spec: T })[];
}
function tagOf(image: string): string | undefined {
  return /^[^@]+:([^:/@]+)$/.exec(image)?.[1];
}
function relayOf(objects: K8sObject[]): { w: Workload; config: PlatformConfig } {
  const w = workloads(objects).find(
    (x) => x.object.kind === 'StatefulSet' && x.object.metadata.name === 'fdt-relay',
  );
  if (!w) throw new Error('no StatefulSet fdt-relay');
  return { w, config: loadPlatformConfig(podEnv(objects, w, w.template.spec.containers[0])) };
}
function portNumber(c: Container, port: number | string): number | undefined {
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

describe.each(OVERLAYS)('k8s/%s', (dir) => {
  const objects = render(join(K8S_DIR, dir));
  const all = workloads(objects);
  const long = all.filter((w) => w.object.kind !== 'Job');
  const name = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

  it('runs the api, worker and relays and the migration Job', () => {
    expect(all.map((w) => name(w.object))).toEqual(
      expect.arrayContaining(['Deployment/fdt-api', 'Deployment/fdt-worker', 'StatefulSet/fdt-relay']),
    );
    expect(all.filter((w) => w.object.kind === 'Job').map((w) => w.object.metadata.name)).toEqual([
      expect.stringMatching(/^fdt-migrate-/),
    ]);
  });

  it('hardens every pod and container (non-root, read-only root, no privilege, seccomp)', () => {
    const bad: string[] = [];
    for (const w of all) {
      const pod = w.template.spec;
      if (pod.automountServiceAccountToken !== false)
        bad.push(`${name(w.object)}: service account token mounted`);
      for (const c of containersOf(w)) {
        const s = { ...pod.securityContext, ...c.securityContext };
        const at = `${name(w.object)}/${c.name}`;
        if (s.runAsNonRoot !== true) bad.push(`${at}: runAsNonRoot`);
        if (isFdtImage(c.image) && s.runAsUser !== 1000)
          bad.push(`${at}: runAsUser is not 1000 (the image's node user)`);
        if (c.securityContext?.readOnlyRootFilesystem !== true) bad.push(`${at}: readOnlyRootFilesystem`);
        if (c.securityContext?.allowPrivilegeEscalation !== false)
          bad.push(`${at}: allowPrivilegeEscalation`);
        if (!c.securityContext?.capabilities?.drop?.includes('ALL'))
          bad.push(`${at}: capabilities not dropped`);
        if (s.seccompProfile?.type !== 'RuntimeDefault') bad.push(`${at}: seccompProfile`);
        if (!c.volumeMounts?.some((m) => m.mountPath === '/tmp') && isFdtImage(c.image))
          bad.push(`${at}: no writable /tmp`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('gives every container resource requests and a memory limit', () => {
    const bad = all.flatMap((w) =>
      containersOf(w)
        .filter(
          (c) => !c.resources?.requests?.cpu || !c.resources.requests.memory || !c.resources.limits?.memory,
        )
        .map((c) => `${name(w.object)}/${c.name}`),
    );
    expect(bad).toEqual([]);
  });

  it('probes every long-running container; the apps on /healthz and /readyz of a port they open', () => {
    const bad: string[] = [];
    for (const w of long) {
      for (const c of w.template.spec.containers) {
        const at = `${name(w.object)}/${c.name}`;
        if (!c.livenessProbe || !c.readinessProbe || !c.startupProbe) bad.push(`${at}: a probe is missing`);
        if (!isFdtImage(c.image)) continue;
        const live = c.livenessProbe?.httpGet;
        const ready = c.readinessProbe?.httpGet;
        if (live?.path !== '/healthz' || c.startupProbe?.httpGet?.path !== '/healthz')
          bad.push(`${at}: liveness is not /healthz`);
        if (ready?.path !== '/readyz') bad.push(`${at}: readiness is not /readyz`);
        for (const p of [live, ready])
          if (p && portNumber(c, p.port) === undefined) bad.push(`${at}: probe port ${p.port} not declared`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('pins every image to a tag (never latest), one release for the three apps', () => {
    const images = all.flatMap((w) => containersOf(w).map((c) => c.image));
    expect(
      images.filter((i) => !i.includes('@') && (tagOf(i) === undefined || tagOf(i) === 'latest')),
    ).toEqual([]);
    expect(new Set(images.filter(isFdtImage).map(tagOf)).size).toBe(1);
  });

  it('names the migration Job after the release it migrates to', () => {
    const job = all.find((w) => w.object.kind === 'Job');
    const tag = tagOf(job?.template.spec.containers[0].image ?? '') ?? '';
    expect(job?.object.metadata.name).toBe(`fdt-migrate-${tag.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`);
    expect(job?.template.spec.containers[0].image).toMatch(/fdt\/api:/);
  });

  it('starts the api and worker only once the Job has migrated: an init container waits, same image', () => {
    const job = all.find((w) => w.object.kind === 'Job');
    for (const target of ['Deployment/fdt-api', 'Deployment/fdt-worker']) {
      const init = long.find((w) => name(w.object) === target)?.template.spec.initContainers ?? [];
      expect([target, init.map((c) => [c.image, c.args])]).toEqual([
        target,
        [[job?.template.spec.containers[0].image, ['node', 'dist/migrate.js', '--wait']]],
      ]);
    }
  });

  it('leaves migrations to the Job: FDT_RUN_MIGRATIONS=false on every app', () => {
    for (const w of long.filter((x) => isFdtImage(x.template.spec.containers[0].image))) {
      const c = w.template.spec.containers[0];
      expect([name(w.object), loadPlatformConfig(podEnv(objects, w, c)).runMigrations]).toEqual([
        name(w.object),
        false,
      ]);
    }
  });

  it('covers every Deployment and StatefulSet with a PodDisruptionBudget', () => {
    const pdbs = ofKind<{ selector: Selector }>(objects, 'PodDisruptionBudget');
    const uncovered = long.filter(
      (w) => !pdbs.some((p) => selects(p.spec.selector, w.template.metadata?.labels)),
    );
    expect(uncovered.map((w) => name(w.object))).toEqual([]);
  });

  it('autoscales the api and the relays (autoscaling/v2) within what the workloads start with', () => {
    const hpas = ofKind<{
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
    }>(objects, 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.apiVersion)).toEqual(hpas.map(() => 'autoscaling/v2'));
    for (const target of ['Deployment/fdt-api', 'StatefulSet/fdt-relay']) {
      const hpa = hpas.find((h) => `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}` === target);
      const w = long.find((x) => name(x.object) === target);
      const replicas = (w?.object.spec as { replicas: number }).replicas;
      expect([target, hpa?.spec.minReplicas]).toEqual([target, replicas]);
      expect(hpa?.spec.maxReplicas).toBeGreaterThanOrEqual(replicas);
    }
  });

  it('selects every pod with a NetworkPolicy of its own, behind a default deny', () => {
    const policies = ofKind<{ podSelector: Selector; policyTypes: string[] }>(objects, 'NetworkPolicy');
    const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0);
    expect(deny?.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny && Object.keys(deny.spec).sort()).toEqual(['podSelector', 'policyTypes']);
    const own = policies.filter((p) => p !== deny);
    const unselected = all.filter(
      (w) => !own.some((p) => selects(p.spec.podSelector, w.template.metadata?.labels)),
    );
    expect(unselected.map((w) => name(w.object))).toEqual([]);
  });

  it('publishes the relay public ports and the whole TCP pool on the load balancer, never admin or peer', () => {
    const { w: relay, config: platform } = relayOf(objects);
    const config = platform.relay;
    const lb = ofKind<{ type: string; ports: { port: number; targetPort: number }[] }>(
      objects,
      'Service',
    ).find((s) => s.spec.type === 'LoadBalancer');
    const targets = lb?.spec.ports.map((p) => p.targetPort) ?? [];
    const pool = Array.from(
      { length: config.tcpPorts.last - config.tcpPorts.first + 1 },
      (_, i) => config.tcpPorts.first + i,
    );
    expect(targets.sort((a, b) => a - b)).toEqual(
      [config.agentPort, config.httpPort, config.httpsPort, ...pool].sort((a, b) => a - b),
    );
    expect(lb?.spec.ports.find((p) => p.targetPort === config.httpPort)?.port).toBe(config.publicHttpPort);
    expect(lb?.spec.ports.find((p) => p.targetPort === config.httpsPort)?.port).toBe(config.publicHttpsPort);
    // The peer port on a headless Service the StatefulSet is named by.
    const peer = ofKind<{ clusterIP: string; ports: { port: number }[] }>(objects, 'Service').find(
      (s) => s.metadata.name === (relay.object.spec as { serviceName: string }).serviceName,
    );
    expect(peer?.spec.clusterIP).toBe('None');
    expect(peer?.spec.ports.map((p) => p.port)).toEqual([config.peering.port]);
    expect(config.name).toBe('fdt-relay-0');
    expect(config.peering.host).toMatch(/^fdt-relay-0\.fdt-relay-peer\.[a-z0-9-]+\.svc$/);
  });

  it('lets Prometheus scrape every app: a PodMonitor and prometheus.io annotations on the metrics port', () => {
    const monitors = ofKind<{
      jobLabel?: string;
      selector: Selector;
      podMetricsEndpoints: { port: string }[];
    }>(objects, 'PodMonitor');
    for (const w of long.filter((x) => isFdtImage(x.template.spec.containers[0].image))) {
      const at = name(w.object);
      const labels = w.template.metadata?.labels;
      const a = w.template.metadata?.annotations ?? {};
      const metrics = w.template.spec.containers[0].ports?.find((p) => p.name === 'metrics')?.containerPort;
      expect([at, a['prometheus.io/scrape'], a['prometheus.io/port'], a['prometheus.io/path']]).toEqual([
        at,
        'true',
        String(metrics),
        '/metrics',
      ]);
      expect([
        at,
        monitors.some(
          (m) => selects(m.spec.selector, labels) && m.spec.podMetricsEndpoints[0].port === 'metrics',
        ),
        // The job label the alert rules select on (monitoring/prometheus/rules): fdt-api, ...
        labels?.[monitors[0]?.spec.jobLabel ?? ''],
      ]).toEqual([at, true, w.object.metadata.name]);
    }
  });
});

describe('k8s/overlays/dev', () => {
  const objects = render(join(K8S_DIR, 'overlays/dev'));

  it('runs one of each, with PostgreSQL and Redis in the cluster', () => {
    const replicas = workloads(objects)
      .filter((w) => w.object.kind !== 'Job')
      .map((w) => [w.object.metadata.name, (w.object.spec as { replicas: number }).replicas]);
    expect(Object.fromEntries(replicas)).toEqual({
      'fdt-api': 1,
      'fdt-worker': 1,
      'fdt-relay': 1,
      'fdt-postgres': 1,
      'fdt-redis': 1,
    });
  });
});

describe('k8s/overlays/production', () => {
  const objects = render(join(K8S_DIR, 'overlays/production'));

  it('generates no Secret: the operator creates fdt-secrets', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('runs three relays behind a load balancer that sends the PROXY protocol, which the relays expect', () => {
    const { w: relay, config } = relayOf(objects);
    expect((relay.object.spec as { replicas: number }).replicas).toBe(3);
    expect(config.relay.proxyProtocol).toBe(true);
    expect(config.trustedProxies.length).toBeGreaterThan(0);
    const lb = objects.find(
      (o) => o.kind === 'Service' && (o.spec as { type?: string }).type === 'LoadBalancer',
    );
    expect(lb?.metadata.annotations?.['service.beta.kubernetes.io/aws-load-balancer-proxy-protocol']).toBe(
      '*',
    );
  });
});
