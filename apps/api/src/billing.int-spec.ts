import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import {
  LedgerService,
  PLAN_CHANGED_CHANNEL,
  type PlanChangedMessage,
  SubscriptionsService,
} from '@fdt/billing';
import { createPorts, type Ports } from '@fdt/ports';
import { TEST_REDIS_URL, type TestClient } from '@fdt/testing';
import { type Harness, startHarness } from '../test/harness.js';

const OPERATOR = 'billing-ops@platform.test';

/** Waits (generously) for a condition that a pub/sub delivery makes true. */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('billing: plans, entitlements, manual plans, the ledger, and who may see them', () => {
  let h: Harness;
  let ports: Ports;
  let stop: () => Promise<void>;
  const published: PlanChangedMessage[] = [];
  let a: { client: TestClient; orgId: string };
  let b: { client: TestClient; orgId: string };
  let op: TestClient;

  beforeAll(async () => {
    h = await startHarness({
      FDT_PLATFORM_OPERATORS: OPERATOR,
      FDT_PLAN_MAX_RESERVED_NAMES: '2',
      FDT_PLAN_MAX_RESERVED_TCP_PORTS: '1',
    });
    ports = createPorts({
      adapters: 'redis',
      redisUrl: TEST_REDIS_URL,
      databaseUrl: h.db.url,
      namespace: h.db.name,
    });
    stop = await ports.pubsub.subscribe<PlanChangedMessage>(
      PLAN_CHANGED_CHANNEL,
      (m) => void published.push(m),
    );
    a = await h.signup();
    b = await h.signup();
    op = (await h.signup(OPERATOR)).client;
    // The operator role waits for a proven address (see account-ownership.int-spec).
    await h.ds.query('UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE email = $1', [
      OPERATOR,
    ]);
  });
  afterAll(async () => {
    await stop?.();
    await ports?.close();
    await h?.close();
  });

  it('shows members the active catalog, with the free plan limited by FDT_PLAN_*', async () => {
    const viewer = await h.member(a.client, 'viewer');
    const res = await viewer.client.get('/api/v1/billing/plans');
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { id: string }) => p.id)).toEqual([
      'free',
      'pro',
      'business',
      'enterprise',
    ]);
    expect(res.body.items[0].limits).toMatchObject({
      maxTunnels: h.config.plan.maxTunnels,
      maxConnsPerTunnel: h.config.plan.maxConnsPerTunnel,
      maxReservedNames: 2,
      maxReservedTcpPorts: 1,
    });
    expect((await h.client().get('/api/v1/billing/plans')).status).toBe(401);
  });

  it('refuses reserved names past the plan with plan_limit, then allows them once an operator assigns pro', async () => {
    for (const name of ['a-one', 'a-two']) {
      expect((await a.client.post('/api/v1/reserved-names', { name })).status).toBe(201);
    }
    const refused = await a.client.post('/api/v1/reserved-names', { name: 'a-three' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'plan_limit',
      limit: 2,
      used: 2,
      key: 'maxReservedNames',
      planId: 'free',
      upgrade: { path: '/billing', planId: 'pro' },
    });
    expect((await a.client.post('/api/v1/reserved-addresses', {})).status).toBe(201);
    expect((await a.client.post('/api/v1/reserved-addresses', {})).body.code).toBe('plan_limit');

    const assigned = await op.put(`/api/v1/platform/orgs/${a.orgId}/plan`, { planId: 'pro' });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({
      plan: { id: 'pro' },
      subscription: { provider: 'manual', planId: 'pro', status: 'active', cancelAtPeriodEnd: false },
    });
    await eventually(() => published.some((m) => m.orgId === a.orgId && m.planId === 'pro'));
    expect((await a.client.post('/api/v1/reserved-names', { name: 'a-three' })).status).toBe(201);
    expect((await a.client.post('/api/v1/reserved-addresses', {})).status).toBe(201);

    // New agent sessions carry the new plan's limits.
    const token = (await a.client.post('/api/v1/authtokens', {})).body.token as string;
    await h.client().post(
      '/api/v1/relays/heartbeat',
      {
        name: 'relay-b',
        region: 'eu',
        publicHost: '127.0.0.1',
        agentPort: 4443,
        agentTls: false,
        httpPort: 8080,
        httpsPort: 8443,
        capacity: 100,
        load: 0,
      },
      { bearer: h.config.relay.secret },
    );
    const session = await h.client().post('/api/v1/agent/sessions', { region: 'eu' }, { bearer: token });
    expect(session.status).toBe(201);
    expect(decodeJwt(session.body.token).limits).toEqual({ maxTunnels: 25, maxConnsPerTunnel: 2000 });

    const billing = await a.client.get('/api/v1/billing');
    expect(billing.status).toBe(200);
    expect(billing.body).toMatchObject({
      plan: { id: 'pro', name: 'Pro' },
      limits: { maxReservedNames: 50 },
      usage: { bytes: 0, counts: { reservedNames: 3, reservedTcpPorts: 2 } },
      subscription: { provider: 'manual', planId: 'pro' },
    });
    expect(billing.body.usage.period).toMatch(/^\d{4}-\d{2}$/);

    // The change is in the org's audit chain and its ledger.
    const audit = await a.client.get('/api/v1/audit?action=billing.*');
    expect(audit.body.items[0]).toMatchObject({
      action: 'billing.plan_assigned',
      summary: { from: { planId: 'free' }, to: { planId: 'pro', provider: 'manual' } },
    });
    expect(audit.body.items[0].actor.label).toContain('platform operator');
    const ledger = await a.client.get('/api/v1/billing/finance-events');
    expect(ledger.body.items).toHaveLength(1);
    expect(ledger.body.items[0]).toMatchObject({ type: 'subscription_changed', provider: 'manual' });
  });

  it('enforces custom domains and members on an operator-made plan (invitations hold seats)', async () => {
    const c = await h.signup();
    const created = await op.post('/api/v1/platform/billing/plans', {
      id: 'tiny',
      name: 'Tiny',
      sort: 5,
      active: false,
      limits: {
        maxTunnels: 1,
        maxConnsPerTunnel: 10,
        maxReservedNames: 1,
        maxReservedTcpPorts: 0,
        maxDomains: 1,
        maxMembers: 2,
        bandwidthBytesPerMonth: 1024,
      },
      features: { sso: false, scim: false, inspectionRetentionHours: 1, regions: ['eu'] },
      prices: { stripe: 'price_tiny' },
    });
    expect(created.status).toBe(201);
    expect((await op.post('/api/v1/platform/billing/plans', { ...created.body, id: 'tiny' })).body.code).toBe(
      'plan_exists',
    );
    // Inactive: not offered to members, still in the operators' list, still assignable.
    expect(
      (await c.client.get('/api/v1/billing/plans')).body.items.map((p: { id: string }) => p.id),
    ).not.toContain('tiny');
    expect(
      (await op.get('/api/v1/platform/billing/plans')).body.items.map((p: { id: string }) => p.id),
    ).toContain('tiny');
    expect((await op.put(`/api/v1/platform/orgs/${c.orgId}/plan`, { planId: 'tiny' })).status).toBe(200);

    expect((await c.client.post('/api/v1/domains', { hostname: 'one.customer-c.test' })).status).toBe(201);
    const domain = await c.client.post('/api/v1/domains', { hostname: 'two.customer-c.test' });
    expect(domain.status).toBe(403);
    expect(domain.body).toMatchObject({
      code: 'plan_limit',
      key: 'maxDomains',
      limit: 1,
      used: 1,
      planId: 'tiny',
    });

    const first = await c.client.post('/api/v1/members/invitations', {
      email: 'c-one@example.test',
      role: 'member',
    });
    expect(first.status).toBe(201);
    const second = await c.client.post('/api/v1/members/invitations', {
      email: 'c-two@example.test',
      role: 'member',
    });
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({ code: 'plan_limit', key: 'maxMembers', limit: 2, used: 2 });
    // Inviting the same person again replaces their invitation: no new seat.
    expect(
      (await c.client.post('/api/v1/members/invitations', { email: 'c-one@example.test', role: 'viewer' }))
        .status,
    ).toBe(201);
    expect((await c.client.get('/api/v1/billing')).body.usage.counts).toMatchObject({
      members: 2,
      domains: 1,
    });

    // Raising the plan's limit in the catalog applies at once.
    const raised = await op.patch('/api/v1/platform/billing/plans/tiny', { limits: { maxMembers: 3 } });
    expect(raised.status).toBe(200);
    expect(raised.body.limits).toMatchObject({ maxMembers: 3, maxDomains: 1 });
    expect(
      (await c.client.post('/api/v1/members/invitations', { email: 'c-two@example.test', role: 'member' }))
        .status,
    ).toBe(201);
  });

  it('keeps each org to its own billing: another tenant and non-operators can neither read nor change it', async () => {
    const mine = await b.client.get('/api/v1/billing');
    expect(mine.body).toMatchObject({ plan: { id: 'free' }, subscription: null });
    expect((await b.client.get('/api/v1/billing/finance-events')).body.items).toEqual([]);
    for (const [method, path, body] of [
      ['put', `/api/v1/platform/orgs/${a.orgId}/plan`, { planId: 'free' }],
      ['put', `/api/v1/platform/orgs/${b.orgId}/plan`, { planId: 'enterprise' }],
      ['get', `/api/v1/platform/orgs/${a.orgId}/billing`, undefined],
      ['get', '/api/v1/platform/billing/plans', undefined],
      ['post', '/api/v1/platform/billing/plans', { id: 'mine' }],
      ['patch', '/api/v1/platform/billing/plans/pro', { limits: { maxDomains: 1 } }],
    ] as const) {
      const res =
        method === 'get'
          ? await b.client.get(path)
          : await (b.client[method] as TestClient['put'])(path, body);
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 403,
        code: 'not_platform_operator',
      });
    }
    // A's plan is untouched and B stayed on free.
    expect((await a.client.get('/api/v1/billing')).body.plan.id).toBe('pro');
    expect((await b.client.get('/api/v1/billing')).body.plan.id).toBe('free');
    // An org id in the query changes nothing: org-scoped routes take the actor's org.
    expect((await b.client.get(`/api/v1/billing?orgId=${a.orgId}`)).body.plan.id).toBe('free');
  });

  it('lets the billing role read and manage billing and nothing else; admins read the plan but not the money', async () => {
    const billing = await h.member(a.client, 'billing');
    expect((await billing.client.get('/api/v1/billing')).status).toBe(200);
    expect((await billing.client.get('/api/v1/billing/finance-events')).status).toBe(200);
    expect((await billing.client.get('/api/v1/billing/finance-events.csv')).status).toBe(200);
    for (const [method, path, body] of [
      ['post', '/api/v1/members/invitations', { email: 'x@example.test', role: 'billing' }],
      ['get', '/api/v1/members', undefined],
      ['post', '/api/v1/authtokens', {}],
      ['get', '/api/v1/tunnels', undefined],
      ['post', '/api/v1/reserved-names', { name: 'by-billing' }],
      ['post', '/api/v1/domains', { hostname: 'billing.example.org' }],
      ['post', '/api/v1/api-keys', { name: 'k', role: 'admin' }],
    ] as const) {
      const res =
        method === 'get'
          ? await billing.client.get(path)
          : await (billing.client[method] as TestClient['post'])(path, body);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    const admin = await h.member(a.client, 'admin');
    expect((await admin.client.get('/api/v1/billing')).status).toBe(200);
    expect((await admin.client.get('/api/v1/billing/finance-events')).status).toBe(403);
    expect((await admin.client.get('/api/v1/billing/finance-events.csv')).status).toBe(403);
    const member = await h.member(a.client, 'member');
    expect((await member.client.get('/api/v1/billing')).status).toBe(403);
  });

  it('exports the ledger as CSV that a spreadsheet cannot run, and pages it newest first', async () => {
    const ledger = h.api.app.get(LedgerService);
    await h.ds.transaction(async (m) => {
      await ledger.append(m, {
        orgId: a.orgId,
        type: 'payment_succeeded',
        provider: 'stripe',
        amountMinor: 1999,
        currency: 'eur',
        reference: '=HYPERLINK("http://evil.test","x")',
        data: { note: 'line one\nline "two", three' },
        occurredAt: new Date(Date.now() + 1000),
      });
      await ledger.append(m, {
        orgId: a.orgId,
        type: 'refund',
        provider: 'stripe',
        amountMinor: 500,
        currency: 'EUR',
        reference: '+1-2',
        data: {},
        occurredAt: new Date(Date.now() + 2000),
      });
      await ledger.append(m, {
        orgId: a.orgId,
        type: 'payment_failed',
        provider: 'paypal',
        reference: '@SUM(A1)',
      });
    });
    const res = await a.client.get('/api/v1/billing/finance-events.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="finance-events-.*\.csv"/);
    expect(res.text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual([
      'id',
      'occurred_at',
      'type',
      'provider',
      'amount_minor',
      'currency',
      'reference',
      'data',
      'recorded_at',
    ]);
    expect(rows.slice(1).map((r) => r[2])).toEqual([
      'subscription_changed',
      'payment_failed',
      'payment_succeeded',
      'refund',
    ]);
    const paid = rows.find((r) => r[2] === 'payment_succeeded') ?? [];
    expect(paid.slice(4, 8)).toEqual([
      '1999',
      'EUR',
      `'=HYPERLINK("http://evil.test","x")`,
      JSON.stringify({ note: 'line one\nline "two", three' }),
    ]);
    expect(rows.find((r) => r[2] === 'refund')?.[6]).toBe("'+1-2");
    expect(rows.find((r) => r[2] === 'payment_failed')?.[6]).toBe("'@SUM(A1)");

    const first = await a.client.get('/api/v1/billing/finance-events?limit=2');
    expect(first.body.items.map((e: { type: string }) => e.type)).toEqual(['refund', 'payment_succeeded']);
    const next = await a.client.get(`/api/v1/billing/finance-events?limit=2&cursor=${first.body.nextCursor}`);
    expect(next.body.items.map((e: { type: string }) => e.type)).toEqual([
      'payment_failed',
      'subscription_changed',
    ]);
    expect(next.body.nextCursor).toBeNull();
    expect((await a.client.get('/api/v1/billing/finance-events?cursor=bm9wZQ')).body.code).toBe(
      'billing_cursor_invalid',
    );
    expect((await a.client.get('/api/v1/billing/finance-events?limit=0')).status).toBe(400);
    // Another org's export holds none of it.
    expect(parseCsv((await b.client.get('/api/v1/billing/finance-events.csv')).text)).toHaveLength(1);
  });

  it('applies provider states in order only: an older state arriving late changes nothing', async () => {
    const subs = h.api.app.get(SubscriptionsService);
    const d = await h.signup();
    const state = {
      orgId: d.orgId,
      provider: 'stripe' as const,
      subscriptionId: 'sub_123',
      customerId: 'cus_123',
      cancelAtPeriodEnd: false,
      currentPeriodEnd: new Date('2030-01-01T00:00:00Z'),
    };
    const apply = async (s: Parameters<SubscriptionsService['applyProviderState']>[1]) => {
      const out = await h.ds.transaction((m) => subs.applyProviderState(m, s));
      await out.afterCommit();
      return out;
    };
    const newer = await apply({
      ...state,
      planId: 'business',
      status: 'active',
      updatedAt: new Date('2026-06-02'),
    });
    expect(newer).toMatchObject({ applied: true, ledger: 'subscription_created' });
    const older = await apply({
      ...state,
      planId: 'pro',
      status: 'incomplete',
      updatedAt: new Date('2026-06-01'),
    });
    expect(older).toMatchObject({ applied: false, reason: 'stale' });
    const again = await apply({
      ...state,
      planId: 'business',
      status: 'active',
      updatedAt: new Date('2026-06-02'),
    });
    expect(again).toMatchObject({ applied: false, reason: 'unchanged' });
    await eventually(() => published.some((m) => m.orgId === d.orgId && m.planId === 'business'));
    expect((await d.client.get('/api/v1/billing')).body).toMatchObject({
      plan: { id: 'business' },
      subscription: { provider: 'stripe', status: 'active', subscriptionId: 'sub_123' },
    });
    const canceled = await apply({
      ...state,
      planId: 'business',
      status: 'canceled',
      updatedAt: new Date('2026-07-01'),
    });
    expect(canceled).toMatchObject({ applied: true, ledger: 'subscription_canceled' });
    // A canceled subscription grants nothing: the org is back on free.
    expect((await d.client.get('/api/v1/billing')).body.plan.id).toBe('free');
    await eventually(() => published.some((m) => m.orgId === d.orgId && m.planId === 'free'));
    const types = (await d.client.get('/api/v1/billing/finance-events')).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(['subscription_canceled', 'subscription_created']);
  });

  it('refuses bad operator input', async () => {
    expect((await op.put(`/api/v1/platform/orgs/${a.orgId}/plan`, { planId: 'nope' })).body.code).toBe(
      'plan_not_found',
    );
    expect((await op.put('/api/v1/platform/orgs/not-a-uuid/plan', { planId: 'pro' })).status).toBe(400);
    expect(
      (await op.put('/api/v1/platform/orgs/00000000-0000-4000-8000-000000000000/plan', { planId: 'pro' }))
        .body.code,
    ).toBe('billing_org_not_found');
    const fromConfig = await op.patch('/api/v1/platform/billing/plans/free', {
      limits: { maxReservedNames: 99 },
    });
    expect(fromConfig.status).toBe(400);
    expect(fromConfig.body).toMatchObject({ code: 'plan_invalid', fields: ['maxReservedNames'] });
    expect((await op.patch('/api/v1/platform/billing/plans/free', { active: false })).body.code).toBe(
      'plan_invalid',
    );
    expect(
      (await op.patch('/api/v1/platform/billing/plans/pro', { limits: { maxDomains: -1 } })).status,
    ).toBe(400);
    for (const limits of [{ maxMembers: 0 }, { maxTunnels: 1.5 }, { maxTunnels: '5' }])
      expect([limits, (await op.patch('/api/v1/platform/billing/plans/pro', { limits })).status]).toEqual([
        limits,
        400,
      ]);
    expect((await op.patch('/api/v1/platform/billing/plans/pro', { limits: { unknown: 1 } })).status).toBe(
      400,
    );
    expect((await op.patch('/api/v1/platform/billing/plans/nope', { name: 'x' })).body.code).toBe(
      'plan_not_found',
    );
    expect((await op.post('/api/v1/platform/billing/plans', { id: 'Bad Id', name: 'x' })).status).toBe(400);
    // The free plan's other limits are the catalog's to edit.
    expect(
      (await op.patch('/api/v1/platform/billing/plans/free', { limits: { maxDomains: 5 } })).status,
    ).toBe(200);
  });
});
