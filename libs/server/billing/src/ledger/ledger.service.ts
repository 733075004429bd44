import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { csvRow } from '@fdt/audit';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { FINANCE_PAGE_DEFAULT, FINANCE_PAGE_MAX } from '../constants.js';
import type { BillingProviderName } from '../plans/plan.types.js';
import { FinanceEvent, type FinanceEventType } from './finance-event.entity.js';

export interface FinanceEventInput {
  orgId: string;
  type: FinanceEventType;
  provider: BillingProviderName;
  amountMinor?: number | null;
  currency?: string | null;
  reference?: string | null;
  data?: Record<string, unknown>;
  /** when it happened at the provider; default now */
  occurredAt?: Date;
}

export interface FinanceEventPage {
  items: FinanceEvent[];
  /** pass back as `cursor` for the next (older) page; null on the last page */
  nextCursor: string | null;
}

export const FINANCE_CSV_COLUMNS = [
  'id',
  'occurred_at',
  'type',
  'provider',
  'amount_minor',
  'currency',
  'reference',
  'data',
  'recorded_at',
] as const;

const EXPORT_BATCH = 500;

// Cursor: the last row's (occurred_at, id), newest first; opaque to clients.
const encodeCursor = (e: FinanceEvent) =>
  Buffer.from(`${e.occurredAt.toISOString()}|${e.id}`).toString('base64url');
function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime()))
    throw new BillingException(
      BillingErrorCode.CursorInvalid,
      'Not a cursor from this api; start again without one.',
    );
  return { at: date, id };
}

/**
 * An org's finance ledger: what was bought, changed, paid, failed and refunded. Append-only:
 * this service inserts and reads; nothing in the code updates or deletes a row.
 */
@Injectable()
export class LedgerService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** In the caller's transaction, with the change it records (and its audit event). */
  append(m: EntityManager, input: FinanceEventInput): Promise<FinanceEvent> {
    return m.getRepository(FinanceEvent).save(
      m.getRepository(FinanceEvent).create({
        orgId: input.orgId,
        type: input.type,
        provider: input.provider,
        amountMinor: input.amountMinor ?? null,
        currency: input.currency?.toUpperCase() ?? null,
        reference: input.reference ?? null,
        data: input.data ?? {},
        occurredAt: input.occurredAt ?? new Date(),
      }),
    );
  }

  /** Newest first. */
  async page(orgId: string, cursor?: string, limit = FINANCE_PAGE_DEFAULT): Promise<FinanceEventPage> {
    const take = Math.min(Math.max(1, limit), FINANCE_PAGE_MAX);
    const q = this.ds
      .getRepository(FinanceEvent)
      .createQueryBuilder('e')
      .where('e.org_id = :orgId', { orgId })
      .orderBy('e.occurred_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(take + 1);
    if (cursor) {
      const c = decodeCursor(cursor);
      q.andWhere('(e.occurred_at, e.id) < (:at, :id)', { at: c.at, id: c.id });
    }
    const rows = await q.getMany();
    const items = rows.slice(0, take);
    return { items, nextCursor: rows.length > take ? encodeCursor(items[items.length - 1]) : null };
  }

  /** The whole ledger of the org as RFC 4180 CSV, oldest first, read in batches. */
  exportCsv(orgId: string): Readable {
    const repo = this.ds.getRepository(FinanceEvent);
    async function* chunks(): AsyncGenerator<string> {
      yield csvRow(FINANCE_CSV_COLUMNS);
      let after: { at: Date; id: string } | undefined;
      for (;;) {
        const q = repo
          .createQueryBuilder('e')
          .where('e.org_id = :orgId', { orgId })
          .orderBy('e.occurred_at', 'ASC')
          .addOrderBy('e.id', 'ASC')
          .take(EXPORT_BATCH);
        if (after) q.andWhere('(e.occurred_at, e.id) > (:at, :id)', after);
        const rows = await q.getMany();
        if (!rows.length) return;
        yield rows.map(financeCsvRow).join('');
        const last = rows[rows.length - 1];
        after = { at: last.occurredAt, id: last.id };
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }
}

export function financeCsvRow(e: FinanceEvent): string {
  return csvRow([
    e.id,
    e.occurredAt.toISOString(),
    e.type,
    e.provider,
    e.amountMinor,
    e.currency,
    e.reference,
    JSON.stringify(e.data),
    e.createdAt.toISOString(),
  ]);
}
