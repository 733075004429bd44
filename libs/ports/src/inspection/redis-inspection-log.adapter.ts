import type { Redis } from 'ioredis';
import { DEFAULT_NAMESPACE, DEFAULT_TIMEOUT_MS } from '../constants.js';
import { PortClosedError, reportToConsole, type PortErrorReporter } from '../errors.js';
import { closeRedis, createRedisClient, type RedisConnection } from '../shared/redis.js';
import { assertName, assertPositive } from '../shared/validate.js';
import {
  DEFAULT_INSPECTION_PER_TUNNEL,
  DEFAULT_INSPECTION_RETENTION_SECONDS,
  INSPECTION_RECORD_WINDOW_MS,
  isInspectionId,
  MAX_INSPECTION_PAGE,
  type InspectionLog,
  type InspectionLogOptions,
  type InspectionRecord,
  type NewInspectionRecord,
} from './inspection-log.port.js';

export interface RedisInspectionLogOptions extends InspectionLogOptions {
  redis: RedisConnection;
  timeoutMs?: number;
  onError?: PortErrorReporter;
}

/** How long one XREAD of the followers blocks: also how soon a new follower is picked up. */
const FOLLOW_BLOCK_MS = 1000;

type StreamEntry = [id: string, fields: string[]];

interface PendingAppend {
  key: string;
  json: string;
  ttlSeconds: number;
  resolve(id: string): void;
  reject(e: unknown): void;
}

interface Followed {
  lastId: string;
  handlers: Set<(r: InspectionRecord) => void>;
}

/**
 * A Redis stream per tunnel (`XADD ... MAXLEN ~ n`, with an expiry set by every append to
 * its ttl, so dead tunnels' logs go away after their org's retention). Stream ids are the record ids. Followers of one process
 * share a single blocking connection that XREADs every followed stream at once.
 */
export class RedisInspectionLog implements InspectionLog {
  private readonly redis: Redis;
  private readonly owns: boolean;
  private readonly prefix: string;
  private readonly perTunnel: number;
  private readonly retentionSeconds: number;
  private readonly onError: PortErrorReporter;
  private readonly followed = new Map<string, Followed>();
  /** appends waiting for this event-loop iteration's transaction */
  private batch: PendingAppend[] = [];
  /** record()s of the current window: per tunnel key, its last `perTunnel` and latest ttl */
  private window = new Map<string, { records: NewInspectionRecord[]; ttlSeconds: number }>();
  private windowTimer?: NodeJS.Timeout;
  private lastRecordError = 0;
  private blocker?: Redis;
  private loop?: Promise<void>;
  private closed = false;

  constructor(opts: RedisInspectionLogOptions) {
    this.prefix = `${opts.namespace ?? DEFAULT_NAMESPACE}:insp:`;
    this.perTunnel = opts.perTunnel ?? DEFAULT_INSPECTION_PER_TUNNEL;
    this.retentionSeconds = opts.retentionSeconds ?? DEFAULT_INSPECTION_RETENTION_SECONDS;
    this.onError = opts.onError ?? reportToConsole;
    assertPositive('perTunnel', this.perTunnel, true);
    assertPositive('retentionSeconds', this.retentionSeconds, true);
    this.owns = typeof opts.redis === 'string';
    this.redis =
      typeof opts.redis === 'string'
        ? createRedisClient(opts.redis, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, this.onError, 'fdt-inspection')
        : opts.redis;
  }

  async append(record: NewInspectionRecord, ttlSeconds = this.retentionSeconds): Promise<string> {
    this.assertOpen();
    assertName('orgId', record.orgId);
    assertName('tunnel', record.tunnel);
    assertPositive('ttlSeconds', ttlSeconds, true);
    // A lazy record becomes plain JSON here, once (toJSON when it has one).
    const json = JSON.stringify(record);
    const key = this.key(record.orgId, record.tunnel);
    return new Promise<string>((resolve, reject) => {
      this.batch.push({ key, json, ttlSeconds, resolve, reject });
      if (this.batch.length === 1) setImmediate(this.flush);
    });
  }

  record(record: NewInspectionRecord, ttlSeconds = this.retentionSeconds): void {
    if (this.closed) return;
    const key = this.key(record.orgId, record.tunnel);
    let w = this.window.get(key);
    if (!w) this.window.set(key, (w = { records: [], ttlSeconds }));
    w.records.push(record);
    w.ttlSeconds = ttlSeconds;
    // Older ones would be trimmed by MAXLEN as soon as written: never serialised at all.
    if (w.records.length > this.perTunnel) w.records.shift();
    this.windowTimer ??= setTimeout(this.flushWindow, INSPECTION_RECORD_WINDOW_MS);
  }

  /** The window's records, serialised now, in one transaction; a failure is reported, not thrown. */
  private readonly flushWindow = (): void => {
    this.windowTimer = undefined;
    const window = this.window;
    if (window.size === 0) return;
    this.window = new Map();
    const multi = this.redis.multi();
    for (const [key, w] of window) {
      for (const r of w.records) {
        try {
          assertName('orgId', r.orgId);
          assertName('tunnel', r.tunnel);
          multi.xadd(key, 'MAXLEN', '~', String(this.perTunnel), '*', 'r', JSON.stringify(r));
        } catch (e) {
          this.recordFailed(e);
        }
      }
      multi.expire(
        key,
        Number.isInteger(w.ttlSeconds) && w.ttlSeconds > 0 ? w.ttlSeconds : this.retentionSeconds,
      );
    }
    multi.exec().then(
      (results) => {
        const failed = results?.find(([e]) => e)?.[0];
        if (failed) this.recordFailed(failed);
      },
      (e: unknown) => this.recordFailed(e),
    );
  };

  // One report a minute at most: a Redis outage must not flood the log at request rate.
  private recordFailed(e: unknown): void {
    const now = Date.now();
    if (now - this.lastRecordError < 60_000) return;
    this.lastRecordError = now;
    this.onError(e, 'inspection log record');
  }

  /**
   * Every append of one event-loop iteration in one transaction: an XADD each, one EXPIRE per
   * tunnel with the ttl of its last append (also when shorter than what the key had: a plan
   * lowered applies now). Under load a relay appends a record per request; one MULTI per
   * record was a round trip, a pipeline and a promise each, and as much again for Redis.
   */
  private readonly flush = (): void => {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const multi = this.redis.multi();
    const ttl = new Map<string, number>();
    for (const a of batch) {
      multi.xadd(a.key, 'MAXLEN', '~', String(this.perTunnel), '*', 'r', a.json);
      ttl.set(a.key, a.ttlSeconds);
    }
    for (const [key, seconds] of ttl) multi.expire(key, seconds);
    multi.exec().then(
      (results) => {
        const failed = results?.slice(batch.length).find(([e]) => e)?.[0];
        batch.forEach((a, i) => {
          const [error, id] = results?.[i] ?? [new Error('inspection append: no answer'), undefined];
          const e = error ?? failed;
          if (e) a.reject(e);
          else a.resolve(id as string);
        });
      },
      (e: unknown) => {
        for (const a of batch) a.reject(e);
      },
    );
  };

  async list(
    orgId: string,
    tunnel: string,
    opts: { limit?: number; before?: string } = {},
  ): Promise<InspectionRecord[]> {
    this.assertOpen();
    const limit = Math.min(opts.limit ?? this.perTunnel, MAX_INSPECTION_PAGE);
    assertPositive('limit', limit, true);
    if (opts.before !== undefined && !isInspectionId(opts.before)) return [];
    const end = opts.before === undefined ? '+' : `(${opts.before}`;
    const entries = (await this.redis.xrevrange(
      this.key(orgId, tunnel),
      end,
      '-',
      'COUNT',
      limit,
    )) as StreamEntry[];
    // MAXLEN ~ trims lazily: never show more than the cap.
    return entries.slice(0, this.perTunnel).map(parse);
  }

  async get(orgId: string, tunnel: string, id: string): Promise<InspectionRecord | undefined> {
    this.assertOpen();
    if (!isInspectionId(id)) return undefined;
    const [entry] = (await this.redis.xrange(this.key(orgId, tunnel), id, id)) as StreamEntry[];
    return entry ? parse(entry) : undefined;
  }

  async follow(
    orgId: string,
    tunnel: string,
    onRecord: (r: InspectionRecord) => void,
  ): Promise<() => Promise<void>> {
    this.assertOpen();
    const key = this.key(orgId, tunnel);
    let f = this.followed.get(key);
    if (!f) {
      // From the newest record now: only what is appended after this call is delivered.
      const [newest] = (await this.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as StreamEntry[];
      f = this.followed.get(key) ?? { lastId: newest?.[0] ?? '0-0', handlers: new Set() };
      this.followed.set(key, f);
    }
    const followed = f;
    followed.handlers.add(onRecord);
    this.loop ??= this.pump().finally(() => (this.loop = undefined));
    return async () => {
      followed.handlers.delete(onRecord);
      if (followed.handlers.size === 0 && this.followed.get(key) === followed) this.followed.delete(key);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Appends and records already taken still go out (before the connection quits).
    clearTimeout(this.windowTimer);
    this.flushWindow();
    this.flush();
    this.followed.clear();
    this.blocker?.disconnect();
    await this.loop?.catch(() => undefined);
    if (this.owns) await closeRedis(this.redis);
  }

  private async pump(): Promise<void> {
    this.blocker ??= this.redis.duplicate({ connectionName: 'fdt-inspection-follow' });
    while (!this.closed && this.followed.size > 0) {
      const keys = [...this.followed.keys()];
      try {
        const answer = (await this.blocker.xread(
          'COUNT',
          100,
          'BLOCK',
          FOLLOW_BLOCK_MS,
          'STREAMS',
          ...keys,
          ...keys.map((k) => this.followed.get(k)?.lastId ?? '$'),
        )) as [key: string, entries: StreamEntry[]][] | null;
        for (const [key, entries] of answer ?? []) {
          const f = this.followed.get(key);
          if (!f || entries.length === 0) continue;
          f.lastId = entries[entries.length - 1][0];
          for (const entry of entries) {
            const record = parse(entry);
            for (const handler of f.handlers) {
              try {
                handler(record);
              } catch {
                // A follower's failure is its own.
              }
            }
          }
        }
      } catch (e) {
        if (this.closed) return;
        this.onError(e, 'inspection log follow');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private key(orgId: string, tunnel: string): string {
    return `${this.prefix}${orgId}:${tunnel}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('inspection log');
  }
}

function parse([id, fields]: StreamEntry): InspectionRecord {
  const i = fields.indexOf('r');
  const record = JSON.parse(i >= 0 ? fields[i + 1] : '{}') as InspectionRecord;
  record.id = id;
  return record;
}
