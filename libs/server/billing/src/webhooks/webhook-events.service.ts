import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JobQueue } from '@fdt/ports';
import { JOB_QUEUE } from '@fdt/server-core';
import {
  RECONCILE_JOB,
  type ReconcileJob,
  SWEEP_AFTER_MS,
  WEBHOOK_APPLY_JOB,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_BACKOFF_MS,
  WEBHOOK_QUEUE,
  type WebhookApplyJob,
  webhookJobId,
} from './webhook.constants.js';
import { WebhookErrorCode, WebhookException } from './webhook.errors.js';
import { WebhookEvent } from './webhook-event.entity.js';
import type { WebhookEventsQueryDto } from './webhook-events.dto.js';

export interface WebhookEventPage {
  items: WebhookEvent[];
  nextCursor: string | null;
}

// Cursor: the last row's (received_at, id), newest first; opaque to clients.
const encodeCursor = (e: WebhookEvent) =>
  Buffer.from(`${e.receivedAt.toISOString()}|${e.id}`).toString('base64url');
function decodeCursor(cursor: string): { at: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime())) return undefined;
  return { at: date, id };
}

/**
 * The stored webhook events for platform operators and the worker's housekeeping: list with
 * filters, replay one, queue a reconcile, queue again what was left `received`, and delete old
 * processed/ignored events. Events belong to no org's view: only platform operators reach this.
 */
@Injectable()
export class WebhookEventsService {
  private readonly log = new Logger(WebhookEventsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** Newest first. */
  async list(q: WebhookEventsQueryDto): Promise<WebhookEventPage> {
    const take = q.limit ?? 50;
    const qb = this.ds
      .getRepository(WebhookEvent)
      .createQueryBuilder('e')
      .orderBy('e.received_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(take + 1);
    if (q.provider) qb.andWhere('e.provider = :provider', { provider: q.provider });
    if (q.type) qb.andWhere('e.type = :type', { type: q.type });
    if (q.status) qb.andWhere('e.status = :status', { status: q.status });
    if (q.olderThanMinutes !== undefined)
      qb.andWhere(`e.received_at <= now() - make_interval(mins => :older)`, { older: q.olderThanMinutes });
    if (q.newerThanMinutes !== undefined)
      qb.andWhere(`e.received_at >= now() - make_interval(mins => :newer)`, { newer: q.newerThanMinutes });
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      if (!c) throw new WebhookException(WebhookErrorCode.EventNotFound, 'Not a cursor from this api.');
      qb.andWhere('(e.received_at, e.id) < (:at, :id)', { at: c.at, id: c.id });
    }
    const rows = await qb.getMany();
    const items = rows.slice(0, take);
    return { items, nextCursor: rows.length > take ? encodeCursor(items[items.length - 1]) : null };
  }

  async get(id: string): Promise<WebhookEvent> {
    const e = await this.ds.getRepository(WebhookEvent).findOneBy({ id });
    if (!e) throw new WebhookException(WebhookErrorCode.EventNotFound, 'No such webhook event.');
    return e;
  }

  /**
   * Applies a failed, ignored or unapplied event again (after a fix of its cause): back to
   * `received` and queued under a new job id (the first job is kept finished for a day).
   * A processed event is refused: its effect stands, and applying it again would add its
   * ledger entries twice; reconcile repairs a subscription that drifted since.
   */
  async replay(id: string, by: string): Promise<WebhookEvent> {
    const rows: [{ id: string }[], number] = await this.ds.query(
      `UPDATE billing_webhook_events SET status = 'received', processed_at = NULL
        WHERE id = $1 AND status <> 'processed' RETURNING id`,
      [id],
    );
    if (!rows[1]) {
      await this.get(id); // 404 when it does not exist
      throw new WebhookException(WebhookErrorCode.EventProcessed, 'This event was applied already.');
    }
    await this.enqueueApply(id, `replay-${Date.now().toString(36)}`);
    this.log.log(`webhook event ${id} replayed by ${by}`);
    return this.get(id);
  }

  async enqueueApply(rowId: string, run?: string): Promise<void> {
    const data: WebhookApplyJob = { eventId: rowId };
    await this.queue.enqueue(WEBHOOK_QUEUE, WEBHOOK_APPLY_JOB, data, {
      jobId: webhookJobId(rowId, run),
      attempts: WEBHOOK_ATTEMPTS,
      backoffMs: WEBHOOK_BACKOFF_MS,
    });
  }

  /** Queues a reconcile of one provider; two asks in the same minute are one job. */
  async requestReconcile(provider: ReconcileJob['provider'], by: string): Promise<string> {
    const data: ReconcileJob = { provider };
    const id = await this.queue.enqueue(WEBHOOK_QUEUE, RECONCILE_JOB, data, {
      jobId: `reconcile-${provider}-${Math.floor(Date.now() / 60_000)}`,
      attempts: 3,
      backoffMs: 30_000,
    });
    this.log.log(`reconcile of ${provider} requested by ${by}`);
    return id;
  }

  /**
   * Queues again the events still `received` a while after they arrived: the api died between
   * storing and queueing, or the queue lost the job. The first job's id (kept while it waits,
   * runs or was finished a day) makes this a no-op for an event whose job still exists.
   */
  async sweep(olderThanMs = SWEEP_AFTER_MS): Promise<number> {
    const rows: { id: string }[] = await this.ds.query(
      `SELECT id FROM billing_webhook_events
        WHERE status = 'received' AND received_at < now() - make_interval(secs => $1)
        ORDER BY received_at LIMIT 500`,
      [olderThanMs / 1000],
    );
    for (const r of rows) await this.enqueueApply(r.id);
    if (rows.length) this.log.warn(`queued ${rows.length} webhook event(s) left unapplied`);
    return rows.length;
  }

  /** Deletes processed and ignored events older than `days`; failed and unapplied ones stay. */
  async deleteOld(days: number): Promise<number> {
    const res: [unknown[], number] = await this.ds.query(
      `DELETE FROM billing_webhook_events
        WHERE status IN ('processed', 'ignored') AND received_at < now() - make_interval(days => $1)`,
      [days],
    );
    return res[1];
  }
}
