import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Actor, dataSourceOptions, migrate } from '@fdt/server-core';
import { createTestDatabase, type TestDatabase } from '@fdt/testing';
import { DataSource, type EntityManager } from 'typeorm';
import { AUDIT_CSV_COLUMNS } from './audit-csv.js';
import { AuditEvent } from './audit-event.entity.js';
import { AuditErrorCode } from './audit.exception.js';
import { AuditService } from './audit.service.js';
import type { AuditEntry, AuditInput } from './audit.types.js';
import { GENESIS_HASH } from './constants.js';
import { AUDIT_ENTITIES } from './index.js';

const actor = (orgId: string, extra: Partial<Actor> = {}): Actor => ({
  type: 'user',
  orgId,
  role: 'admin',
  userId: 'user-1',
  label: 'ana@example.com',
  ip: '203.0.113.7',
  userAgent: 'fdt-test/1.0',
  ...extra,
});

/** An RFC 4180 reader, to check what a spreadsheet or csv library would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return text;
}

describe('AuditService on PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let audit: AuditService;

  const inTx = <T>(fn: (m: EntityManager) => Promise<T>) => ds.transaction(fn);
  const record = (orgId: string, action = 'member.role_changed', extra: Partial<AuditInput> = {}) =>
    inTx((m) =>
      audit.record(m, {
        orgId,
        actor: actor(orgId),
        action,
        target: { type: 'member', id: 'm-1' },
        ...extra,
      }),
    );
  const recordMany = (orgId: string, n: number, action = 'tunnel.created') =>
    inTx(async (m) => {
      const out: AuditEntry[] = [];
      for (let i = 0; i < n; i++) {
        out.push(
          await audit.record(m, {
            orgId,
            actor: actor(orgId),
            action,
            target: { type: 'tunnel', id: `t-${i}` },
            summary: { i },
          }),
        );
      }
      return out;
    });
  const count = async (orgId: string) =>
    Number((await ds.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [orgId]))[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource(dataSourceOptions({ databaseUrl: db.url }, AUDIT_ENTITIES)).initialize();
    await migrate(ds);
    audit = new AuditService(ds.getRepository(AuditEvent));
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  describe('record', () => {
    it('writes nothing when the mutation transaction rolls back', async () => {
      const org = randomUUID();
      await expect(
        inTx(async (m) => {
          await audit.record(m, {
            orgId: org,
            actor: actor(org),
            action: 'member.removed',
            target: { type: 'member' },
          });
          expect(await m.count(AuditEvent, { where: { orgId: org } })).toBe(1); // visible inside
          throw new Error('mutation failed');
        }),
      ).rejects.toThrow('mutation failed');
      expect(await count(org)).toBe(0);

      // The rolled-back event consumed no place in the chain.
      const next = await record(org);
      expect(next.seq).toBe(1);
      expect(next.prevHash).toBe(GENESIS_HASH);
    });

    it('refuses to run outside a transaction', async () => {
      const org = randomUUID();
      await expect(
        audit.record(ds.manager, {
          orgId: org,
          actor: actor(org),
          action: 'org.updated',
          target: { type: 'org' },
        }),
      ).rejects.toThrow(/transaction/);
      expect(await count(org)).toBe(0);
    });

    it('stores who, from where and what, as the row reads back', async () => {
      const org = randomUUID();
      const longAgent = `Mozilla/5.0 ${'x'.repeat(700)}`;
      const entry = await inTx((m) =>
        audit.record(m, {
          orgId: org.toUpperCase(),
          actor: actor(org, { type: 'api_key', userId: undefined, apiKeyId: 'key-9', userAgent: longAgent }),
          actorLabel: 'ci-deploy',
          action: 'authtoken.created',
          target: { type: 'authtoken', id: 'at-1' },
          summary: {
            name: 'laptop',
            token: 'fdt_secret_value',
            nested: { b: 2, a: [1, 'é\u0000'] },
            at: new Date(0),
          },
        }),
      );
      const [row] = await ds.query('SELECT * FROM audit_events WHERE id = $1', [entry.id]);
      expect(row).toMatchObject({
        org_id: org,
        seq: '1',
        actor_type: 'api_key',
        actor_id: 'key-9',
        actor_label: 'ci-deploy',
        action: 'authtoken.created',
        target_type: 'authtoken',
        target_id: 'at-1',
        ip: '203.0.113.7',
        prev_hash: GENESIS_HASH,
        hash: entry.hash,
      });
      expect(row.user_agent).toBe(longAgent.slice(0, 512));
      expect(row.summary).toEqual({
        name: 'laptop',
        token: '[redacted]',
        nested: { a: [1, 'é\uFFFD'], b: 2 },
        at: '1970-01-01T00:00:00.000Z',
      });
      expect(JSON.stringify(row)).not.toContain('fdt_secret_value');
      // Milliseconds only, so the instant that was hashed is the instant stored.
      expect((row.occurred_at as Date).toISOString()).toBe(entry.occurredAt);
      const [{ us }] = await ds.query(
        `SELECT extract(microseconds FROM occurred_at)::int % 1000 AS us FROM audit_events WHERE id = $1`,
        [entry.id],
      );
      expect(us).toBe(0);
      expect(await audit.verify(org)).toEqual({ ok: true, checked: 1 });
    });

    it("labels the actor with the Actor's label unless the input names one", async () => {
      const org = randomUUID();
      expect((await record(org)).actor).toEqual({ type: 'user', id: 'user-1', label: 'ana@example.com' });
      expect((await record(org, 'member.removed', { actorLabel: 'Ana B.' })).actor.label).toBe('Ana B.');
      const system = await inTx((m) =>
        audit.record(m, {
          orgId: org,
          actor: { type: 'system', orgId: org, role: 'owner' },
          action: 'org.retention_applied',
          target: { type: 'org', id: org },
        }),
      );
      expect(system).toMatchObject({
        actor: { type: 'system', id: null, label: null },
        ip: null,
        userAgent: null,
      });
      expect(await audit.verify(org)).toEqual({ ok: true, checked: 3 });
    });

    it('refuses an action that is not dotted lower-case words', async () => {
      const org = randomUUID();
      await expect(record(org, 'MemberRemoved')).rejects.toThrow(TypeError);
      expect(await count(org)).toBe(0);
    });
  });

  describe('verify', () => {
    it('accepts a chain of N events with checked = N, linked from the genesis hash', async () => {
      const org = randomUUID();
      const entries: AuditEntry[] = [];
      for (let i = 0; i < 12; i++) entries.push(await record(org, 'member.role_changed', { summary: { i } }));
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(entries[0].prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < entries.length; i++) expect(entries[i].prevHash).toBe(entries[i - 1].hash);
      for (const e of entries) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await audit.verify(org)).toEqual({ ok: true, checked: 12 });
    });

    it('reports an empty chain as intact', async () => {
      expect(await audit.verify(randomUUID())).toEqual({ ok: true, checked: 0 });
    });

    it('finds a summary edited in SQL, at that row', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 6);
      await ds.query(`UPDATE audit_events SET summary = '{"i": 99}' WHERE id = $1`, [entries[3].id]);
      expect(await audit.verify(org)).toEqual({ ok: false, checked: 4, firstBadId: entries[3].id });
    });

    it('finds an edited row whose own hash was recomputed, at the next row', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 5);
      const target = entries[1];
      // The tamperer recomputes this row's hash with the public algorithm...
      const { computeEventHash } = await import('./audit-hash.js');
      const forged = computeEventHash({
        orgId: org,
        seq: target.seq,
        occurredAt: target.occurredAt,
        actorType: target.actor.type,
        actorId: target.actor.id,
        actorLabel: target.actor.label,
        action: target.action,
        targetType: target.target.type,
        targetId: target.target.id,
        ip: target.ip,
        userAgent: target.userAgent,
        summary: { i: 1000 },
        prevHash: target.prevHash,
      });
      await ds.query(`UPDATE audit_events SET summary = '{"i": 1000}', hash = $2 WHERE id = $1`, [
        target.id,
        forged,
      ]);
      // ...but the next event still links to the original.
      expect(await audit.verify(org)).toEqual({ ok: false, checked: 3, firstBadId: entries[2].id });
    });

    it('finds a deleted middle row', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 7);
      await ds.query('DELETE FROM audit_events WHERE id = $1', [entries[3].id]);
      expect(await audit.verify(org)).toEqual({ ok: false, checked: 4, firstBadId: entries[4].id });
    });

    it('finds a deleted first row', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 3);
      await ds.query('DELETE FROM audit_events WHERE id = $1', [entries[0].id]);
      expect(await audit.verify(org)).toEqual({ ok: false, checked: 1, firstBadId: entries[1].id });
    });

    it('finds a re-ordered chain', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 5);
      // Swap the places of events 3 and 4 (through a free seq: (org_id, seq) is unique).
      await ds.transaction(async (m) => {
        await m.query('UPDATE audit_events SET seq = 1000 WHERE id = $1', [entries[2].id]);
        await m.query('UPDATE audit_events SET seq = 3 WHERE id = $1', [entries[3].id]);
        await m.query('UPDATE audit_events SET seq = 4 WHERE id = $1', [entries[2].id]);
      });
      expect(await audit.verify(org)).toEqual({ ok: false, checked: 3, firstBadId: entries[3].id });
    });

    it('keeps a valid chain under 20 concurrent appends to one org', async () => {
      const org = randomUUID();
      const other = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          inTx(async (m) => {
            // Some work before the append, so the transactions overlap.
            await m.query('SELECT pg_sleep(0.005)');
            const e = await audit.record(m, {
              orgId: i % 4 === 3 ? other : org,
              actor: actor(org),
              action: 'tunnel.created',
              target: { type: 'tunnel', id: `t-${i}` },
            });
            await m.query('SELECT pg_sleep(0.002)');
            return e;
          }),
        ),
      );
      const seqs = results.filter((_, i) => i % 4 !== 3).map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(await audit.verify(org)).toEqual({ ok: true, checked: 15 });
      expect(await audit.verify(other)).toEqual({ ok: true, checked: 5 });
    });

    it("keeps orgs' chains independent", async () => {
      const a = randomUUID();
      const b = randomUUID();
      const ea: AuditEntry[] = [];
      const eb: AuditEntry[] = [];
      for (let i = 0; i < 4; i++) {
        ea.push(await record(a));
        eb.push(await record(b));
      }
      expect(ea.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(eb.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(eb[0].prevHash).toBe(GENESIS_HASH);
      await ds.query(`UPDATE audit_events SET actor_label = 'mallory' WHERE id = $1`, [ea[1].id]);
      expect(await audit.verify(a)).toEqual({ ok: false, checked: 2, firstBadId: ea[1].id });
      expect(await audit.verify(b)).toEqual({ ok: true, checked: 4 });
    });

    it('verifies a chain longer than one batch, and exports it in batches', async () => {
      const org = randomUUID();
      const n = 1234; // > VERIFY_BATCH_SIZE (1000) and > 2 × EXPORT_BATCH_SIZE (500)
      await recordMany(org, n);
      expect(await audit.verify(org)).toEqual({ ok: true, checked: n });

      const ndjson = await readAll(await audit.export(org, 'ndjson'));
      const lines = ndjson.trimEnd().split('\n');
      expect(lines).toHaveLength(n);
      expect(lines.map((l) => (JSON.parse(l) as AuditEntry).seq)).toEqual(
        Array.from({ length: n }, (_, i) => i + 1),
      );

      const csv = parseCsv(await readAll(await audit.export(org, 'csv')));
      expect(csv).toHaveLength(n + 1);
      expect(csv[0]).toEqual([...AUDIT_CSV_COLUMNS]);

      await ds.query('UPDATE audit_events SET target_id = $2 WHERE org_id = $1 AND seq = 1100', [
        org,
        'other',
      ]);
      const report = await audit.verify(org);
      expect(report).toMatchObject({ ok: false, checked: 1100 });
    });
  });

  describe('list', () => {
    it('walks every event exactly once, newest first, across pages', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 23);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await audit.list(org, {}, cursor, 5);
        pages++;
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(pages).toBe(5);
      expect(seen).toEqual(entries.map((e) => e.id).reverse());
    });

    it('ends without an empty page when the last page is full', async () => {
      const org = randomUUID();
      await recordMany(org, 4);
      const first = await audit.list(org, {}, undefined, 2);
      const second = await audit.list(org, {}, first.nextCursor ?? undefined, 2);
      expect(second.items).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('returns entries as recorded, and the default page size', async () => {
      const org = randomUUID();
      const entries = await recordMany(org, 55);
      const page = await audit.list(org);
      expect(page.items).toHaveLength(50);
      expect(page.items[0]).toEqual(entries[54]);
      expect(page.nextCursor).not.toBeNull();
    });

    it('filters by action (exact and prefix), actor, target and time', async () => {
      const org = randomUUID();
      const pause = () => new Promise((r) => setTimeout(r, 5));
      const rec = async (action: string, extra: Partial<AuditInput> = {}) => {
        const e = await record(org, action, extra);
        await pause();
        return e;
      };
      const roleChanged = await rec('member.role_changed', { target: { type: 'member', id: 'm-1' } });
      const removed = await rec('member.removed', { target: { type: 'member', id: 'm-2' } });
      const membership = await rec('membership.synced', { target: { type: 'org', id: org } });
      const underscore = await rec('member_x.created', { target: { type: 'member', id: 'm-3' } });
      const lookalike = await rec('memberax.created', { target: { type: 'member', id: 'm-4' } });
      const byKey = await rec('authtoken.created', {
        actor: actor(org, { type: 'api_key', userId: undefined, apiKeyId: 'key-1' }),
        target: { type: 'authtoken', id: 'at-1' },
      });
      const ids = async (filters: Parameters<AuditService['list']>[1]) =>
        (await audit.list(org, filters, undefined, 200)).items.map((e) => e.id);

      expect(await ids({ action: 'member.removed' })).toEqual([removed.id]);
      expect(await ids({ action: 'member.*' })).toEqual([removed.id, roleChanged.id]);
      expect(await ids({ action: 'member_x.*' })).toEqual([underscore.id]);
      expect(await ids({ actorId: 'key-1' })).toEqual([byKey.id]);
      expect(await ids({ targetType: 'member' })).toEqual([
        lookalike.id,
        underscore.id,
        removed.id,
        roleChanged.id,
      ]);
      expect(await ids({ targetType: 'member', targetId: 'm-2' })).toEqual([removed.id]);
      expect(await ids({ from: new Date(membership.occurredAt) })).toEqual([
        byKey.id,
        lookalike.id,
        underscore.id,
        membership.id,
      ]);
      expect(await ids({ to: new Date(membership.occurredAt) })).toEqual([removed.id, roleChanged.id]);
      expect(
        await ids({
          from: new Date(removed.occurredAt),
          to: new Date(underscore.occurredAt),
          action: 'member.*',
        }),
      ).toEqual([removed.id]);
    });

    it('never returns another org’s events', async () => {
      const a = randomUUID();
      const b = randomUUID();
      await record(a);
      const page = await audit.list(b);
      expect(page).toEqual({ items: [], nextCursor: null });
    });

    it('rejects a bad cursor, limit or action filter with 400 domain errors', async () => {
      const org = randomUUID();
      await expect(audit.list(org, {}, 'not a cursor')).rejects.toMatchObject({
        code: AuditErrorCode.InvalidCursor,
        status: 400,
      });
      await expect(audit.list(org, {}, undefined, 0)).rejects.toMatchObject({
        code: AuditErrorCode.InvalidLimit,
      });
      await expect(audit.list(org, {}, undefined, 201)).rejects.toMatchObject({
        code: AuditErrorCode.InvalidLimit,
      });
      await expect(audit.list(org, { action: "x' OR 1=1" })).rejects.toMatchObject({
        code: AuditErrorCode.InvalidFilter,
      });
    });
  });

  describe('export', () => {
    it('writes CSV that a reader parses back field for field (commas, quotes, newlines)', async () => {
      const org = randomUUID();
      const tricky = 'Ana, "the admin"\nsecond line\r\nthird';
      const e = await inTx((m) =>
        audit.record(m, {
          orgId: org,
          actor: actor(org, { userAgent: 'Mozilla/5.0 (X11; Linux, x86_64) "quoted"' }),
          actorLabel: tricky,
          action: 'member.invited',
          target: { type: 'member', id: '=cmd|calc' },
          summary: { note: 'a,b "c"\nd', list: [1, 2] },
        }),
      );
      await record(org, 'member.removed');
      const rows = parseCsv(await readAll(await audit.export(org, 'csv', { action: 'member.invited' })));
      expect(rows).toHaveLength(2);
      const row = Object.fromEntries(AUDIT_CSV_COLUMNS.map((c, i) => [c, rows[1][i]]));
      expect(row).toEqual({
        id: e.id,
        seq: '1',
        occurred_at: e.occurredAt,
        actor_type: 'user',
        actor_id: 'user-1',
        actor_label: tricky,
        action: 'member.invited',
        target_type: 'member',
        target_id: "'=cmd|calc", // neutralised for spreadsheets
        ip: '203.0.113.7',
        user_agent: 'Mozilla/5.0 (X11; Linux, x86_64) "quoted"',
        summary: JSON.stringify(e.summary),
        prev_hash: GENESIS_HASH,
        hash: e.hash,
      });
      expect(JSON.parse(row.summary)).toEqual({ note: 'a,b "c"\nd', list: [1, 2] });
    });

    it('writes NDJSON whose every line parses to the listed entry, oldest first', async () => {
      const org = randomUUID();
      await recordMany(org, 3);
      await inTx((m) =>
        audit.record(m, {
          orgId: org,
          actor: actor(org),
          action: 'org.updated',
          target: { type: 'org' },
          summary: { name: 'line\nbreak' },
        }),
      );
      const text = await readAll(await audit.export(org, 'ndjson'));
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(lines).toHaveLength(4);
      const parsed = lines.map((l) => JSON.parse(l) as AuditEntry);
      expect(parsed).toEqual((await audit.list(org)).items.reverse());
    });

    it('exports nothing but a header for an org without events', async () => {
      expect(await readAll(await audit.export(randomUUID(), 'csv'))).toBe(
        `${AUDIT_CSV_COLUMNS.join(',')}\r\n`,
      );
      expect(await readAll(await audit.export(randomUUID(), 'ndjson'))).toBe('');
    });
  });
});
