import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import {
  type Actor,
  createHttpApp,
  listen,
  loadPlatformConfig,
  Permission,
  PlatformConfigModule,
  PlatformDatabaseModule,
  PlatformLoggingModule,
  REQUIRED_PERMISSION,
  type PlatformConfig,
  type RequestWithActor,
} from '@fdt/server-core';
import { createTestDatabase, TestClient, testEnv, type TestDatabase } from '@fdt/testing';
import type { NextFunction, Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { AUDIT_CSV_COLUMNS } from './audit-csv.js';
import { AuditController } from './audit.controller.js';
import { AuditModule } from './audit.module.js';
import { AuditService } from './audit.service.js';
import type { AuditEntry } from './audit.types.js';

@Module({})
class AuditTestAppModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: AuditTestAppModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'audit-test'),
        PlatformDatabaseModule.forRoot(config),
        AuditModule,
      ],
    };
  }
}

// Stands in for the identity guard: the actor's org comes from a test-only header.
const ORG_HEADER = 'x-test-org';
const EVENT_KEYS = [
  'action',
  'actor',
  'hash',
  'id',
  'ip',
  'occurredAt',
  'prevHash',
  'seq',
  'summary',
  'target',
  'userAgent',
];

describe('AuditController over HTTP', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let client: TestClient;
  let audit: AuditService;
  let ds: DataSource;
  const orgA = randomUUID();
  const orgB = randomUUID();
  const asOrg = (org: string) => ({ headers: { [ORG_HEADER]: org } });

  const seed = (org: string, n: number, action = 'member.role_changed') =>
    ds.transaction(async (m) => {
      const actor: Actor = {
        type: 'user',
        orgId: org,
        role: 'admin',
        userId: 'u-1',
        label: 'ana@example.com',
        ip: '198.51.100.4',
        userAgent: 'seed',
      };
      const out: AuditEntry[] = [];
      for (let i = 0; i < n; i++) {
        out.push(
          await audit.record(m, {
            orgId: org,
            actor,
            action,
            target: { type: 'member', id: `m-${i}` },
            summary: { from: 'member', to: 'admin', note: i === 0 ? 'a,b "c"\nd' : 'ok' },
          }),
        );
      }
      return out;
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadPlatformConfig(testEnv(db.url));
    app = await createHttpApp(AuditTestAppModule.forRoot(config), config, {
      title: 'audit test',
      openApiPath: 'api/docs',
      port: 0,
    });
    app.use((req: Request & RequestWithActor, _res: Response, next: NextFunction) => {
      const org = req.header(ORG_HEADER);
      if (org)
        req.actor = {
          type: 'user',
          orgId: org,
          role: 'admin',
          userId: 'u-1',
          ip: req.ip,
          userAgent: req.header('user-agent'),
        };
      next();
    });
    const port = await listen(app, config, 0);
    client = new TestClient(`http://127.0.0.1:${port}`);
    audit = app.get(AuditService);
    ds = app.get(DataSource);
    await seed(orgA, 7);
    await seed(orgB, 2, 'tunnel.created');
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('names the audit:read permission on every handler', () => {
    const handlers = Object.getOwnPropertyNames(AuditController.prototype).filter((n) => n !== 'constructor');
    expect(handlers.sort()).toEqual(['export', 'integrity', 'list']);
    for (const name of handlers) {
      const handler = (AuditController.prototype as unknown as Record<string, object>)[name];
      expect(Reflect.getMetadata(REQUIRED_PERMISSION, handler)).toBe(Permission.AuditRead);
    }
  });

  describe('GET /api/v1/audit', () => {
    it("lists the actor's org events newest first, with the contract shape", async () => {
      const res = await client.get('/api/v1/audit', asOrg(orgA));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items).toHaveLength(7);
      const first = res.body.items[0];
      expect(Object.keys(first).sort()).toEqual(EVENT_KEYS);
      expect(first).toMatchObject({
        seq: 7,
        action: 'member.role_changed',
        actor: { type: 'user', id: 'u-1', label: 'ana@example.com' },
        target: { type: 'member', id: 'm-6' },
        ip: '198.51.100.4',
        userAgent: 'seed',
        summary: { from: 'member', to: 'admin', note: 'ok' },
      });
      expect(first.id).toMatch(/^\d+$/);
      expect(first.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(res.body.items.map((e: AuditEntry) => e.seq)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    });

    it('pages with an opaque cursor and filters', async () => {
      const p1 = await client.get('/api/v1/audit?limit=3', asOrg(orgA));
      expect(p1.body.items.map((e: AuditEntry) => e.seq)).toEqual([7, 6, 5]);
      expect(typeof p1.body.nextCursor).toBe('string');
      const p2 = await client.get(`/api/v1/audit?limit=3&cursor=${p1.body.nextCursor}`, asOrg(orgA));
      expect(p2.body.items.map((e: AuditEntry) => e.seq)).toEqual([4, 3, 2]);
      const p3 = await client.get(`/api/v1/audit?limit=3&cursor=${p2.body.nextCursor}`, asOrg(orgA));
      expect(p3.body).toMatchObject({ nextCursor: null });
      expect(p3.body.items.map((e: AuditEntry) => e.seq)).toEqual([1]);

      const filtered = await client.get('/api/v1/audit?action=member.*&targetId=m-2', asOrg(orgA));
      expect(filtered.body.items.map((e: AuditEntry) => e.target.id)).toEqual(['m-2']);
      const none = await client.get('/api/v1/audit?action=tunnel.*', asOrg(orgA));
      expect(none.body.items).toEqual([]);
      const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
      expect((await client.get(`/api/v1/audit?from=${future}`, asOrg(orgA))).body.items).toEqual([]);
      expect((await client.get(`/api/v1/audit?to=${future}`, asOrg(orgA))).body.items).toHaveLength(7);
    });

    it("takes the org from the actor only: another org's actor sees its own events", async () => {
      const res = await client.get('/api/v1/audit', asOrg(orgB));
      expect(res.body.items.map((e: AuditEntry) => e.action)).toEqual(['tunnel.created', 'tunnel.created']);
    });

    it.each([
      ['a bad cursor', 'cursor=bm90LWFuLWlk', 'invalid_cursor'],
      ['an unknown query parameter', `orgId=${randomUUID()}`, 'validation_failed'],
      ['a limit above 200', 'limit=201', 'validation_failed'],
      ['a limit that is not a number', 'limit=ten', 'validation_failed'],
      ['a malformed action filter', 'action=member.%25', 'validation_failed'],
      ['a date that is not ISO 8601', 'from=yesterday', 'validation_failed'],
      ['a repeated parameter', 'action=a.b&action=c.d', 'validation_failed'],
    ])('answers %s with a 400 problem+json', async (_, query, code) => {
      const res = await client.get(`/api/v1/audit?${query}`, asOrg(orgA));
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, code, type: `https://fdt.dev/problems/${code}` });
      expect(res.body.detail).toEqual(expect.any(String));
    });
  });

  describe('GET /api/v1/audit/integrity', () => {
    it('reports an intact chain, then the first tampered event', async () => {
      const org = randomUUID();
      const events = await seed(org, 4);
      const ok = await client.get('/api/v1/audit/integrity', asOrg(org));
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ ok: true, checked: 4 });

      await ds.query(`UPDATE audit_events SET summary = '{"to": "owner"}' WHERE id = $1`, [events[2].id]);
      const bad = await client.get('/api/v1/audit/integrity', asOrg(org));
      expect(bad.body).toEqual({ ok: false, checked: 3, firstBadId: events[2].id });
      // Another org's chain is not affected.
      expect((await client.get('/api/v1/audit/integrity', asOrg(orgA))).body).toEqual({
        ok: true,
        checked: 7,
      });
    });
  });

  describe('GET /api/v1/audit/export', () => {
    it('streams CSV with its content type, a file name and a header row', async () => {
      const res = await client.get('/api/v1/audit/export?format=csv', asOrg(orgA));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="audit-\d{8}T\d{6}Z\.csv"$/,
      );
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.text.startsWith(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
      // The first event's summary holds a comma, quotes and a newline: one quoted field.
      expect(res.text).toContain('""note"":""a,b \\""c\\""\\nd""');
      expect(res.text.match(/\r\n/g)).toHaveLength(8);
    });

    it('streams NDJSON whose lines are the listed events, oldest first, filtered', async () => {
      const res = await client.get('/api/v1/audit/export?format=ndjson&targetId=m-1', asOrg(orgA));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="audit-\d{8}T\d{6}Z\.ndjson"$/,
      );
      const lines = res.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(1);
      const listed = await client.get('/api/v1/audit?targetId=m-1', asOrg(orgA));
      expect(lines).toEqual(listed.body.items);
    });

    it('requires a known format', async () => {
      for (const query of ['', '?format=xml']) {
        const res = await client.get(`/api/v1/audit/export${query}`, asOrg(orgA));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'validation_failed' });
      }
    });
  });

  it('documents the routes and their DTOs in OpenAPI', async () => {
    const doc = (await client.get('/api/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/audit', '/api/v1/audit/integrity', '/api/v1/audit/export']),
    );
    const params = doc.paths['/api/v1/audit'].get.parameters.map((p: { name: string }) => p.name);
    expect(params.sort()).toEqual([
      'action',
      'actorId',
      'cursor',
      'from',
      'limit',
      'targetId',
      'targetType',
      'to',
    ]);
    expect(doc.components.schemas.AuditPageDto.properties.items.items.$ref).toBe(
      '#/components/schemas/AuditEventDto',
    );
  });
});
