import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { AuditEvent } from './audit-event.entity.js';
import { auditCsvHeader, auditCsvRow } from './audit-csv.js';
import { decodeCursor, encodeCursor } from './audit-cursor.js';
import { AuditErrorCode, AuditException } from './audit.exception.js';
import { chainFieldsOf, computeEventHash, type ChainFields } from './audit-hash.js';
import { cleanText, normalizeSummary, truncateText } from './audit-normalize.js';
import type {
  AuditEntry,
  AuditExportFormat,
  AuditFilters,
  AuditInput,
  AuditPage,
  IntegrityReport,
} from './audit.types.js';
import {
  ACTION_FILTER_PATTERN,
  ACTION_PATTERN,
  AUDIT_LOCK_NAMESPACE,
  EXPORT_BATCH_SIZE,
  GENESIS_HASH,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  MAX_USER_AGENT_LENGTH,
  VERIFY_BATCH_SIZE,
} from './constants.js';

interface ChainHead {
  org: string;
  now: Date;
  seq: string | null;
  hash: string | null;
}

const optionalText = (s: string | null | undefined): string | null => (s == null ? null : cleanText(s));

export function toAuditEntry(e: AuditEvent): AuditEntry {
  return {
    id: e.id,
    seq: e.seq,
    occurredAt: e.occurredAt.toISOString(),
    actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
    action: e.action,
    target: { type: e.targetType, id: e.targetId },
    ip: e.ip,
    userAgent: e.userAgent,
    summary: e.summary,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** The org's append-only audit log: one hash chain per org. */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /**
   * Appends an event to the org's chain inside the caller's transaction, so the event exists
   * if and only if the mutation commits. Appends to one org are serialised by a transaction
   * advisory lock held until that transaction ends. Under REPEATABLE READ or SERIALIZABLE a
   * concurrent append can surface as a unique violation on (org_id, seq): retry the transaction.
   */
  async record(manager: EntityManager, input: AuditInput): Promise<AuditEntry> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(
        "AuditService.record must run in the mutation's transaction: pass the EntityManager of dataSource.transaction().",
      );
    }
    if (!ACTION_PATTERN.test(input.action)) {
      throw new TypeError(
        `Audit action "${input.action}" must be dotted lower-case words, e.g. member.role_changed.`,
      );
    }
    if (!input.target.type) throw new TypeError('An audit event needs a target type.');
    const summary = normalizeSummary(input.summary);
    const { actor } = input;

    // The lock key is the canonical text of the uuid, so every spelling of an org id agrees.
    await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2::uuid::text))', [
      AUDIT_LOCK_NAMESPACE,
      input.orgId,
    ]);
    // The database clock (one for every replica), truncated to what a JS Date holds, so the
    // timestamp that is hashed is the one that reads back.
    const [head] = (await manager.query(
      `SELECT $1::uuid::text AS org, date_trunc('milliseconds', clock_timestamp()) AS now, last.seq, last.hash
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
           SELECT seq, hash FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1
         ) AS last ON true`,
      [input.orgId],
    )) as ChainHead[];

    const fields: ChainFields = {
      orgId: head.org, // as the uuid column will read back
      seq: head.seq === null ? 1 : Number(head.seq) + 1,
      occurredAt: head.now.toISOString(),
      actorType: actor.type,
      actorId: optionalText(actor.userId ?? actor.apiKeyId),
      actorLabel: optionalText(input.actorLabel ?? actor.label),
      action: input.action,
      targetType: cleanText(input.target.type),
      targetId: optionalText(input.target.id),
      ip: optionalText(actor.ip),
      userAgent:
        actor.userAgent == null ? null : truncateText(cleanText(actor.userAgent), MAX_USER_AGENT_LENGTH),
      summary,
      prevHash: head.hash ?? GENESIS_HASH,
    };
    const event = manager.create(AuditEvent, {
      ...fields,
      occurredAt: head.now,
      hash: computeEventHash(fields),
    });
    await manager.save(event); // one INSERT ... RETURNING id
    return toAuditEntry(event);
  }

  /**
   * Recomputes the org's chain in seq order, in batches, from one snapshot. Detects an edited
   * row (hash), a deleted or inserted row (seq gap, prev_hash) and a re-ordered chain. A chain
   * rewritten from the edit onwards, or cut at its newest end, still verifies: anchoring the
   * head outside the database is what covers those.
   */
  async verify(orgId: string): Promise<IntegrityReport> {
    return this.events.manager.transaction('REPEATABLE READ', async (m) => {
      await m.query('SET TRANSACTION READ ONLY');
      let checked = 0;
      let lastSeq = 0;
      let prevHash = GENESIS_HASH;
      for (;;) {
        const batch = await m
          .getRepository(AuditEvent)
          .createQueryBuilder('e')
          .where('e.orgId = :orgId', { orgId })
          .andWhere('e.seq > :lastSeq', { lastSeq })
          .orderBy('e.seq', 'ASC')
          .limit(VERIFY_BATCH_SIZE)
          .getMany();
        for (const e of batch) {
          checked++;
          if (
            e.seq !== lastSeq + 1 ||
            e.prevHash !== prevHash ||
            computeEventHash(chainFieldsOf(e)) !== e.hash
          ) {
            return { ok: false, checked, firstBadId: e.id };
          }
          lastSeq = e.seq;
          prevHash = e.hash;
        }
        if (batch.length < VERIFY_BATCH_SIZE) return { ok: true, checked };
      }
    });
  }

  /** Newest first. `cursor` is a previous page's nextCursor. */
  async list(
    orgId: string,
    filters: AuditFilters = {},
    cursor?: string,
    limit: number = LIST_DEFAULT_LIMIT,
  ): Promise<AuditPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
      throw new AuditException(
        AuditErrorCode.InvalidLimit,
        `limit must be an integer from 1 to ${LIST_MAX_LIMIT}.`,
      );
    }
    const qb = this.filtered(orgId, filters)
      .orderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (cursor !== undefined) qb.andWhere('e.id < :before', { before: decodeCursor(cursor) });
    const rows = await qb.getMany();
    const items = rows.slice(0, limit).map(toAuditEntry);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }

  /**
   * The matching events, oldest first, as NDJSON (one AuditEntry per line) or CSV (header
   * row, summary as JSON text), read in batches as the consumer pulls. The first batch is
   * read before this resolves, so a failing query is an error here rather than a cut stream.
   */
  async export(orgId: string, format: AuditExportFormat, filters: AuditFilters = {}): Promise<Readable> {
    const fetch = (after: string | null) => {
      const qb = this.filtered(orgId, filters).orderBy('e.id', 'ASC').limit(EXPORT_BATCH_SIZE);
      if (after !== null) qb.andWhere('e.id > :after', { after });
      return qb.getMany();
    };
    const line = format === 'csv' ? auditCsvRow : (e: AuditEntry) => `${JSON.stringify(e)}\n`;
    const first = await fetch(null);
    async function* chunks(): AsyncGenerator<string> {
      if (format === 'csv') yield auditCsvHeader();
      let batch = first;
      while (batch.length > 0) {
        yield batch.map((e) => line(toAuditEntry(e))).join('');
        if (batch.length < EXPORT_BATCH_SIZE) return;
        batch = await fetch(batch[batch.length - 1].id);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  private filtered(orgId: string, f: AuditFilters): SelectQueryBuilder<AuditEvent> {
    const qb = this.events.createQueryBuilder('e').where('e.orgId = :orgId', { orgId });
    if (f.action !== undefined) {
      if (!ACTION_FILTER_PATTERN.test(f.action)) {
        throw new AuditException(
          AuditErrorCode.InvalidFilter,
          'action must be an action name (member.role_changed) or a prefix ending in .* (member.*).',
        );
      }
      if (f.action.endsWith('.*')) {
        // Keeps the dot: `member.*` matches `member.x`, not `membership.x`. `_` is a LIKE wildcard.
        const prefix = f.action.slice(0, -1).replaceAll('_', '\\_');
        qb.andWhere('e.action LIKE :actionPrefix', { actionPrefix: `${prefix}%` });
      } else {
        qb.andWhere('e.action = :action', { action: f.action });
      }
    }
    if (f.actorId !== undefined) qb.andWhere('e.actorId = :actorId', { actorId: f.actorId });
    if (f.targetType !== undefined) qb.andWhere('e.targetType = :targetType', { targetType: f.targetType });
    if (f.targetId !== undefined) qb.andWhere('e.targetId = :targetId', { targetId: f.targetId });
    for (const [bound, op] of [
      ['from', '>='],
      ['to', '<'],
    ] as const) {
      const date = f[bound];
      if (date === undefined) continue;
      if (Number.isNaN(date.getTime())) {
        throw new AuditException(
          AuditErrorCode.InvalidFilter,
          `${bound} must be a valid date-time (ISO 8601).`,
        );
      }
      qb.andWhere(`e.occurredAt ${op} :${bound}`, { [bound]: date });
    }
    return qb;
  }
}
