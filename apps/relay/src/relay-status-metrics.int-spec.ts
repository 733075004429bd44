import { afterEach, describe, expect, it } from '@jest/globals';
import { MONITORED_PREFIXES, testEnv, undeclaredMonitoredMetrics } from '@fdt/testing';
import { type Edge, startEdge } from './testing/harness.js';

const value = (text: string, series: string): number | undefined => {
  const escaped = series.replace(/[{}"]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

async function scrape(edge: Edge): Promise<string> {
  return (await fetch(`${edge.relay.url}/metrics`)).text();
}

async function until(edge: Edge, what: string, ok: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await scrape(edge);
    if (ok(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The series the capacity and heartbeat alerts read (monitoring/prometheus/rules).
describe('relay status metrics', () => {
  let edge: Edge | undefined;
  afterEach(async () => {
    await edge?.close();
    edge = undefined;
  });

  it('reports its capacity, registration once the api acknowledged a heartbeat, and accepted handshakes', async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), { FDT_RELAY_CAPACITY: '7' });
    const text = await until(edge, 'registration', (t) => value(t, 'fdt_relay_registered') === 1);
    expect(value(text, 'fdt_relay_capacity')).toBe(7);
    const accepted = value(text, 'fdt_relay_handshakes_total') ?? 0;
    const agents = value(text, 'fdt_relay_agents_connected') ?? 0;

    const agent = await edge.agent([{ id: 'web', proto: 'http', local: 1 }]);
    const after = await scrape(edge);
    expect(value(after, 'fdt_relay_handshakes_total')).toBe(accepted + 1);
    expect(value(after, 'fdt_relay_agents_connected')).toBe(agents + 1);
    await agent.close();
  });

  it('declares every fdt_relay_* series the monitoring rules and dashboard read (scraped)', async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'));
    expect(undeclaredMonitoredMetrics(await scrape(edge), MONITORED_PREFIXES.relay)).toEqual([]);
  });

  it('reports 0 for registration while the api cannot be reached, and no capacity once closed', async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RELAY_CAPACITY: '3',
      FDT_API_INTERNAL_URL: 'http://127.0.0.1:1',
    });
    const text = await scrape(edge);
    expect(value(text, 'fdt_relay_registered')).toBe(0);
    expect(value(text, 'fdt_relay_capacity')).toBe(3);
    await edge.close();
    edge = undefined;
    const { register } = await import('prom-client');
    const metric = register.getSingleMetric('fdt_relay_capacity');
    expect(metric).toBeDefined();
    expect((await metric?.get())?.values[0]?.value).toBe(0);
  });
});
