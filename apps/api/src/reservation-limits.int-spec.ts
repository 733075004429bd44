import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

describe('reservations: per-org plan limits and the platform host names', () => {
  let h: Harness;
  let greedy: TestClient;
  let other: TestClient;

  beforeAll(async () => {
    h = await startHarness({
      FDT_PLAN_MAX_RESERVED_NAMES: '3',
      FDT_PLAN_MAX_RESERVED_TCP_PORTS: '2',
      FDT_RESERVED_SUBDOMAINS: 'admin,api,www,app,relay,billing',
    });
    ({ client: greedy } = await h.signup());
    ({ client: other } = await h.signup());
  });
  afterAll(() => h?.close());

  it('refuses reserved names past the plan limit with plan_limit, even when asked all at once', async () => {
    // Concurrent requests count in turn: one org cannot slip past the limit by racing.
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => greedy.post('/api/v1/reserved-names', { name: `grab-${i}` })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused).toHaveLength(5);
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.body.code).toBe('plan_limit');
    }
    expect((await greedy.get('/api/v1/reserved-names')).body.items).toHaveLength(3);
    // Another org still has its own allowance.
    expect((await other.post('/api/v1/reserved-names', { name: 'other-one' })).status).toBe(201);
    // Releasing one makes room again.
    const first = (await greedy.get('/api/v1/reserved-names')).body.items[0];
    expect((await greedy.delete(`/api/v1/reserved-names/${first.id}`)).status).toBe(204);
    expect((await greedy.post('/api/v1/reserved-names', { name: 'grab-again' })).status).toBe(201);
  });

  it('refuses reserved TCP ports past the plan limit with plan_limit, leaving the pool to others', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => greedy.post('/api/v1/reserved-addresses', {})),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    for (const r of answers.filter((a) => a.status !== 201)) expect(r.body.code).toBe('plan_limit');
    expect((await other.post('/api/v1/reserved-addresses', {})).status).toBe(201);
  });

  it('refuses the platform host names of FDT_RESERVED_SUBDOMAINS as reserved names', async () => {
    for (const name of ['admin', 'API', 'billing']) {
      const r = await other.post('/api/v1/reserved-names', { name });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('invalid_name');
    }
    // A name the default list holds but this installation does not is free here.
    expect((await other.post('/api/v1/reserved-names', { name: 'docs' })).status).toBe(201);
  });
});
