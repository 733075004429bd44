import { loadPlatformConfig } from '@fdt/server-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, TEST_REDIS_URL, TestClient, testEnv, type TestDatabase } from '@fdt/testing';
import { startWorker, type RunningWorker } from './bootstrap.js';

describe('worker admin endpoints', () => {
  let db: TestDatabase;
  let worker: RunningWorker;
  let client: TestClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startWorker(
      loadPlatformConfig(testEnv(db.url, { FDT_WORKER_ADMIN_PORT: '0', REDIS_URL: TEST_REDIS_URL })),
    );
    client = new TestClient(worker.url);
  });
  afterAll(async () => {
    await worker?.close();
    await db?.drop();
  });

  it('answers liveness, and readiness with PostgreSQL and Redis up', async () => {
    expect(await client.get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('exposes Prometheus metrics labelled app="worker", and no OpenAPI document', async () => {
    await client.get('/healthz');
    const metrics = await client.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /fdt_http_request_duration_seconds_count\{app="worker",method="GET",route="\/healthz",status="200"\} \d+/,
    );
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
    expect((await client.get('/api/docs-json')).status).toBe(404);
  });

  it('reports not ready, while still live, once its database is gone', async () => {
    await db.drop();
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error).toMatchObject({ database: { status: 'down' } });
    expect((await client.get('/healthz')).status).toBe(200);
  });
});
