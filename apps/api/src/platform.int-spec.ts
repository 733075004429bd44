import { loadPlatformConfig } from '@fdt/server-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, TestClient, testEnv, TEST_REDIS_URL, type TestDatabase } from '@fdt/testing';
import { startApi, type RunningApi } from './bootstrap.js';

describe('api platform endpoints', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: TestClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(loadPlatformConfig(testEnv(db.url, { REDIS_URL: TEST_REDIS_URL })));
    client = new TestClient(api.url);
  });
  afterAll(async () => {
    await api?.app.close();
    await db?.drop();
  });

  it('answers liveness and readiness with PostgreSQL and Redis up', async () => {
    expect((await client.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('serves Prometheus metrics on its admin port only, with the HTTP histogram by route and status', async () => {
    await client.get('/healthz');
    expect(new URL(api.metricsUrl).port).not.toBe(new URL(api.url).port);
    const onPublicPort = await client.get('/metrics');
    expect(onPublicPort.status).toBe(404);
    expect(onPublicPort.text).not.toContain('fdt_http_request_duration_seconds');
    const metrics = await new TestClient(api.metricsUrl.replace(/\/metrics$/, '')).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /fdt_http_request_duration_seconds_count\{app="api",method="GET",route="\/healthz",status="200"\} \d+/,
    );
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
  });

  it('serves the OpenAPI document', async () => {
    const doc = await client.get('/api/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
  });

  it('answers unknown routes and malformed JSON with problem+json and a stable code', async () => {
    const missing = await client.get('/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, code: 'not_found' });

    const malformed = await client.request('POST', '/api/v1/auth/login', {
      body: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'malformed_json' });

    const huge = await client.request('POST', '/api/v1/auth/login', {
      body: JSON.stringify({ email: 'x'.repeat(200_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ code: 'payload_too_large' });
  });
});
