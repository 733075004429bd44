import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobQueue } from '@fdt/ports';
import { JOB_QUEUE, loadPlatformConfig } from '@fdt/server-core';
import {
  createTestDatabase,
  MONITORED_PREFIXES,
  TEST_REDIS_URL,
  TestClient,
  testEnv,
  type TestDatabase,
  undeclaredMonitoredMetrics,
} from '@fdt/testing';
import { startWorker, type RunningWorker } from './bootstrap.js';

const value = (text: string, series: string): number | undefined => {
  const escaped = series.replace(/[{}"]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

// The series of the QueueBacklog and WorkerJobsFailing alerts (monitoring/prometheus/rules).
describe('worker queue metrics', () => {
  let db: TestDatabase;
  let worker: RunningWorker;
  let client: TestClient;
  let queue: JobQueue;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startWorker(
      loadPlatformConfig(
        testEnv(db.url, {
          FDT_WORKER_ADMIN_PORT: '0',
          REDIS_URL: TEST_REDIS_URL,
          FDT_PORTS_NAMESPACE: db.name,
        }),
      ),
    );
    client = new TestClient(worker.url);
    queue = worker.app.get<JobQueue>(JOB_QUEUE);
  });
  afterAll(async () => {
    await worker?.close();
    await db?.drop();
  });

  it('reports each queue of its processors by state, read when scraped', async () => {
    const before = (await client.get('/metrics')).text;
    for (const q of ['certificates', 'domains'])
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(value(before, `fdt_queue_jobs{queue="${q}",state="${state}"}`)).toBe(0);

    await queue.enqueue('domains', 'recheck-later', {}, { delayMs: 3_600_000 });
    const after = (await client.get('/metrics')).text;
    expect(value(after, 'fdt_queue_jobs{queue="domains",state="delayed"}')).toBe(1);
  });

  it('declares every worker series the monitoring rules and dashboard read (scraped)', async () => {
    await client.get('/readyz');
    const text = (await client.get('/metrics')).text;
    expect(undeclaredMonitoredMetrics(text, MONITORED_PREFIXES.worker)).toEqual([]);
  });

  it('counts a job that failed for good, and keeps it in the failed state', async () => {
    // No processor takes this name: the run throws, with no attempt left.
    await queue.enqueue('certificates', 'no-such-job', {});
    const deadline = Date.now() + 15_000;
    let text = '';
    while (Date.now() < deadline) {
      text = (await client.get('/metrics')).text;
      if (value(text, 'fdt_worker_jobs_total{queue="certificates",result="failed"}') === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(value(text, 'fdt_worker_jobs_total{queue="certificates",result="failed"}')).toBe(1);
    expect(value(text, 'fdt_queue_jobs{queue="certificates",state="failed"}')).toBe(1);
  });
});
