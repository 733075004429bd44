import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JobQueue, PubSub } from '@fdt/ports';
import { BillingChannel, type EdgeLimits, type UsageExceededMessage, type UsageReport } from '@fdt/protocol';
import { JOB_QUEUE, PUBSUB } from '@fdt/server-core';
import { EntitlementsService } from '../entitlements/entitlements.service.js';
import { UsageRecord, usagePeriod } from './usage-record.entity.js';

/** The worker's queue for relay usage reports (apart from webhooks: a backlog of one never delays the other). */
export const USAGE_QUEUE = 'billing-usage';
export const USAGE_REPORT_JOB = 'usage-report';

/** A report as queued: the api stamps the month it arrived in, so a late job still counts there. */
export interface UsageReportJob extends UsageReport {
  /** 'YYYY-MM' (UTC) */
  period: string;
}

/**
 * The job id of a report: one per (relay, boot, seq), so a report the relay sends again (it
 * did not hear the answer) is not queued twice while the first is kept (BullMQ keeps finished
 * jobs 24 h, at most 1,000). Hashed: relay names may hold characters job ids may not.
 */
export const usageReportJobId = (r: Pick<UsageReport, 'relayName' | 'bootId' | 'seq'>): string =>
  `usage-${createHash('sha256')
    .update(`${r.relayName}\n${r.bootId ?? ''}\n${r.seq}`)
    .digest('hex')
    .slice(0, 40)}`;

/**
 * Bytes through each org's tunnels per calendar month (UTC), from the relays' counters: relays
 * report deltas to the api, which queues them; the worker adds them up here. An org whose
 * month passes its plan's bandwidth is announced on `fdt.usage.exceeded`, and relays read its
 * edge limits again (visitors then get `bandwidth_limit`).
 */
@Injectable()
export class UsageService {
  private readonly logger = new Logger(UsageService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly entitlements: EntitlementsService,
    @Inject(PUBSUB) private readonly pubsub: PubSub,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** The api's side: queues a validated report for the worker (a no-op for one already queued). */
  async enqueue(report: UsageReport, at = new Date()): Promise<void> {
    const job: UsageReportJob = {
      relayName: report.relayName,
      ...(report.bootId ? { bootId: report.bootId } : {}),
      seq: report.seq,
      orgs: report.orgs.map((o) => ({ orgId: o.orgId, bytes: o.bytes })),
      period: usagePeriod(at),
    };
    await this.queue.enqueue(USAGE_QUEUE, USAGE_REPORT_JOB, job, {
      jobId: usageReportJobId(report),
      attempts: 8,
      backoffMs: 2_000,
    });
  }

  /**
   * The worker's side: adds a report's bytes to each org's month in one statement (orgs
   * deleted since are skipped), then announces the orgs whose month just passed their plan's
   * bandwidth. Throws on a database error (the job is retried).
   */
  async apply(job: UsageReportJob): Promise<void> {
    const bytes = new Map<string, number>();
    for (const o of job.orgs) if (o.bytes > 0) bytes.set(o.orgId, (bytes.get(o.orgId) ?? 0) + o.bytes);
    if (!bytes.size) return;
    const rows = await this.ds.transaction(async (m) => {
      // The report's inbox row commits with its bytes: a report seen before (sent again, or
      // this job run again after a crash between its commit and its ack) adds nothing.
      const fresh: unknown[] = await m.query(
        `INSERT INTO billing_usage_reports (relay_name, boot_id, seq) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [job.relayName, job.bootId ?? '', job.seq],
      );
      if (!fresh.length) return [];
      return (await m.query(
        `INSERT INTO billing_usage (org_id, period, bytes, updated_at)
         SELECT v.org_id, $3, v.bytes, now()
           FROM unnest($1::uuid[], $2::bigint[]) AS v(org_id, bytes)
           JOIN orgs o ON o.id = v.org_id
         ON CONFLICT (org_id, period) DO UPDATE
           SET bytes = billing_usage.bytes + EXCLUDED.bytes, updated_at = now()
         RETURNING org_id, bytes`,
        [[...bytes.keys()], [...bytes.values()].map(String), job.period],
      )) as { org_id: string; bytes: string }[];
    });
    for (const r of rows) {
      const total = Number(r.bytes);
      await this.announceIfCrossed(r.org_id, job.period, total - (bytes.get(r.org_id) ?? 0), total);
    }
  }

  /** Forgets report ids older than `days` (a relay never resends one that old); returns how many. */
  async pruneReports(days = 7): Promise<number> {
    const res: [unknown[], number] = await this.ds.query(
      `DELETE FROM billing_usage_reports WHERE received_at < now() - make_interval(days => $1)`,
      [days],
    );
    return res[1];
  }

  /** Bytes of the org in the month of `at` (UTC). */
  async bytesIn(orgId: string, at = new Date()): Promise<number> {
    const row = await this.ds.getRepository(UsageRecord).findOneBy({ orgId, period: usagePeriod(at) });
    return row?.bytes ?? 0;
  }

  /** What relays enforce for the org now: its plan's edge limits, and whether this month's bandwidth is used up. */
  async edgeLimits(orgId: string, at = new Date()): Promise<EdgeLimits> {
    const { limits, features } = await this.entitlements.forOrg(orgId);
    const cap = limits.bandwidthBytesPerMonth;
    return {
      maxTunnels: limits.maxTunnels,
      maxConnsPerTunnel: limits.maxConnsPerTunnel,
      bandwidthExceeded: cap !== null && cap !== undefined && (await this.bytesIn(orgId, at)) >= cap,
      inspectionRetentionHours: features.inspectionRetentionHours,
    };
  }

  private async announceIfCrossed(
    orgId: string,
    period: string,
    before: number,
    after: number,
  ): Promise<void> {
    const cap = (await this.entitlements.forOrg(orgId)).limits.bandwidthBytesPerMonth;
    if (cap === null || cap === undefined || !(before < cap && after >= cap)) return;
    this.logger.log(`org ${orgId} used its bandwidth of ${cap} bytes for ${period}`);
    const m: UsageExceededMessage = { orgId, period };
    // At most once, like every pub/sub message: a relay that misses it reads the limits within a minute.
    await this.pubsub
      .publish(BillingChannel.UsageExceeded, m)
      .catch((e: unknown) => this.logger.warn(`could not announce ${orgId}'s used bandwidth: ${String(e)}`));
  }
}
