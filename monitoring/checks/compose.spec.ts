import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { promtool, readYaml, ROOT, tempDir } from './support/repo.js';

interface Service {
  image?: string;
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}
interface PromConfig {
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

const DOCKER = join(ROOT, 'docker');
const compose = () => readYaml<{ services: Record<string, Service> }>(join(DOCKER, 'compose.yml'));
/** Bind mounts of a service as [absolute source, target]. */
const mounts = (s: Service): [string, string][] =>
  (s.volumes ?? [])
    .filter((v) => v.startsWith('.'))
    .map((v) => {
      const [source = '', target = ''] = v.split(':');
      return [resolve(DOCKER, source), target];
    });

/** docker/prometheus/prometheus.yml with its rule_files pointed at the mounted folders' sources. */
function configWithRulesOf(service: Service, ruleFilesOverride?: string[]): string {
  const config = readYaml<PromConfig>(join(DOCKER, 'prometheus/prometheus.yml'));
  config.rule_files =
    ruleFilesOverride ??
    config.rule_files.map((f) => {
      const mount = mounts(service).find(([, target]) => f.startsWith(`${target}/`));
      if (!mount) throw new Error(`rule_files entry ${f} is not under a mounted folder`);
      return mount[0] + f.slice(mount[1].length);
    });
  const file = join(tempDir(), 'prometheus.yml');
  writeFileSync(file, stringify(config));
  return file;
}

const defaultPort = (variable: string): string => {
  const m = new RegExp(`${variable}: port\\.default\\((\\d+)\\)`).exec(
    readFileSync(join(ROOT, 'libs/server/core/src/config/platform-config.ts'), 'utf8'),
  );
  if (!m?.[1]) throw new Error(`no default for ${variable}`);
  return m[1];
};

describe('docker/compose.yml monitoring', () => {
  const { services } = compose();
  const prometheus = services['prometheus'] ?? {};
  const grafana = services['grafana'] ?? {};

  it('runs Prometheus and Grafana from their images, with every mounted path present', () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d/);
    expect(grafana.image).toMatch(/^grafana\/grafana:\d/);
    for (const [source] of [...mounts(prometheus), ...mounts(grafana)])
      expect([source, existsSync(source)]).toEqual([source, true]);
  });

  it('scrapes the api, relay and worker on their metrics ports under the job names the rules select', () => {
    const config = readYaml<PromConfig>(join(DOCKER, 'prometheus/prometheus.yml'));
    const targets = Object.fromEntries(
      config.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]),
    );
    expect(targets).toMatchObject({
      'fdt-api': [`api:${defaultPort('FDT_API_ADMIN_PORT')}`],
      'fdt-relay': [`relay:${defaultPort('FDT_RELAY_ADMIN_PORT')}`],
      'fdt-worker': [`worker:${defaultPort('FDT_WORKER_ADMIN_PORT')}`],
    });
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['api', 'relay', 'worker']));
  });

  it('has a Prometheus config that promtool accepts, loading the mounted rules', () => {
    const r = promtool('check', 'config', configWithRulesOf(prometheus));
    if (r.status !== 0) throw new Error(r.output);
    // Both rule files were found through the mount and checked.
    expect(r.output.match(/SUCCESS: \d+ rules found/g)?.length).toBe(2);
  });

  it('config check fails when a mounted rule file is broken', () => {
    const bad = join(tempDir(), 'bad.yml');
    writeFileSync(
      bad,
      'groups:\n  - name: x\n    rules:\n      - record: fdt:x:y\n        expr: rate(up[5m]\n',
    );
    const r = promtool('check', 'config', configWithRulesOf(prometheus, [bad]));
    expect(r.status).not.toBe(0);
  });

  it('provisions the dashboard where the dashboards provider reads, and commits no Grafana secret', () => {
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(
      join(ROOT, 'monitoring/grafana/provisioning/dashboards/fdt.yml'),
    ).providers[0];
    const dashboards = mounts(grafana).find(
      ([source]) => source === join(ROOT, 'monitoring/grafana/dashboards'),
    );
    expect(dashboards?.[1]).toBe(provider?.options.path);
    const env = grafana.environment ?? {};
    expect(env['GF_SECURITY_ADMIN_PASSWORD']).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
    expect(env['GF_AUTH_ANONYMOUS_ORG_ROLE']).toBe('Viewer');
    // Published on this machine only.
    for (const p of [...(grafana.ports ?? []), ...(prometheus.ports ?? [])])
      expect(p).toMatch(/^127\.0\.0\.1:/);
  });
});
