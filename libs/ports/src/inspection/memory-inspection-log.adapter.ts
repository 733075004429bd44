import { EventEmitter } from 'node:events';
import { DEFAULT_NAMESPACE } from '../constants.js';
import { PortClosedError } from '../errors.js';
import { acquireProcessScoped } from '../shared/process-scoped.js';
import { assertName, assertPositive } from '../shared/validate.js';
import {
  compareInspectionIds,
  DEFAULT_INSPECTION_PER_TUNNEL,
  DEFAULT_INSPECTION_RETENTION_SECONDS,
  INSPECTION_BODY_BYTES,
  isInspectionId,
  MAX_INSPECTION_PAGE,
  type InspectionLog,
  type InspectionLogOptions,
  type InspectionRecord,
  type NewInspectionRecord,
} from './inspection-log.port.js';

export interface MemoryInspectionLogOptions extends InspectionLogOptions {
  /** bound on captured body bytes across all tunnels; the oldest records go first. Default 32 MiB */
  maxBytes?: number;
}

/** How often an append also looks for expired tunnels (nobody reads a dead tunnel's log). */
const SWEEP_EVERY_MS = 60_000;

/** What one process holds for a namespace: a ring per tunnel, a global byte budget, followers. */
class Shelf {
  readonly logs = new Map<string, InspectionRecord[]>();
  /** tunnel key -> epoch ms when its log goes away (set by its last append) */
  readonly expires = new Map<string, number>();
  lastSweep = Date.now();
  /** every live record in arrival order, to evict the globally oldest when over budget */
  order: InspectionRecord[] = [];
  readonly live = new Set<InspectionRecord>();
  readonly events = new EventEmitter();
  bytes = 0;
  lastMs = 0;
  seq = 0;

  constructor() {
    this.events.setMaxListeners(0);
  }

  nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq += 1;
    return `${this.lastMs}-${this.seq}`;
  }
}

const keyOf = (orgId: string, tunnel: string) => `${orgId}\u0000${tunnel}`;
// From the byte counts, so sizing a (lazy) record never assembles its bodies.
const sizeOf = (r: NewInspectionRecord) =>
  Math.min(r.requestBytes, INSPECTION_BODY_BYTES) + Math.min(r.responseBytes, INSPECTION_BODY_BYTES) + 1024;

/**
 * Single-node log: records stay the objects the relay appended (no copy, no serialising on
 * the hot path), shared by every app of the process through the namespace.
 */
export class MemoryInspectionLog implements InspectionLog {
  private readonly shelf: Shelf;
  private readonly release: () => void;
  private readonly perTunnel: number;
  private readonly maxBytes: number;
  private readonly retentionSeconds: number;
  private closed = false;

  constructor(opts: MemoryInspectionLogOptions = {}) {
    this.perTunnel = opts.perTunnel ?? DEFAULT_INSPECTION_PER_TUNNEL;
    this.maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
    this.retentionSeconds = opts.retentionSeconds ?? DEFAULT_INSPECTION_RETENTION_SECONDS;
    assertPositive('perTunnel', this.perTunnel, true);
    assertPositive('maxBytes', this.maxBytes, true);
    assertPositive('retentionSeconds', this.retentionSeconds, true);
    const scoped = acquireProcessScoped(
      'inspection',
      opts.namespace ?? DEFAULT_NAMESPACE,
      () => new Shelf(),
      (s) => s.events.removeAllListeners(),
    );
    this.shelf = scoped.value;
    this.release = scoped.release;
  }

  async append(record: NewInspectionRecord, ttlSeconds = this.retentionSeconds): Promise<string> {
    return this.store(record, ttlSeconds);
  }

  record(record: NewInspectionRecord, ttlSeconds = this.retentionSeconds): void {
    try {
      this.store(record, ttlSeconds);
    } catch {
      // Best-effort by contract: a log closed during shutdown takes nothing, and says nothing.
    }
  }

  private store(record: NewInspectionRecord, ttlSeconds: number): string {
    this.assertOpen();
    assertName('orgId', record.orgId);
    assertName('tunnel', record.tunnel);
    assertPositive('ttlSeconds', ttlSeconds, true);
    const s = this.shelf;
    const now = Date.now();
    if (now - s.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const stored = record as InspectionRecord;
    stored.id = s.nextId();
    const key = keyOf(record.orgId, record.tunnel);
    this.expireIfDue(key, now);
    // This append's ttl, also when shorter than what the tunnel had (as EXPIRE on Redis).
    s.expires.set(key, now + ttlSeconds * 1000);
    let log = s.logs.get(key);
    if (!log) s.logs.set(key, (log = []));
    log.push(stored);
    s.live.add(stored);
    s.order.push(stored);
    s.bytes += sizeOf(stored);
    if (log.length > this.perTunnel) this.drop(log.shift());
    while (s.bytes > this.maxBytes && s.order.length) {
      const oldest = s.order.shift();
      if (oldest && s.live.has(oldest)) {
        const l = s.logs.get(keyOf(oldest.orgId, oldest.tunnel));
        if (l?.[0] === oldest) l.shift();
        this.drop(oldest);
      }
    }
    // Records dropped per tunnel linger in `order`; compact before it grows past twice the live set.
    if (s.order.length > 2 * s.live.size + 1024) s.order = s.order.filter((r) => s.live.has(r));
    if (s.events.listenerCount(key) > 0) s.events.emit(key, stored);
    return stored.id;
  }

  async list(
    orgId: string,
    tunnel: string,
    opts: { limit?: number; before?: string } = {},
  ): Promise<InspectionRecord[]> {
    this.assertOpen();
    const limit = Math.min(opts.limit ?? this.perTunnel, MAX_INSPECTION_PAGE);
    assertPositive('limit', limit, true);
    const key = keyOf(orgId, tunnel);
    this.expireIfDue(key, Date.now());
    const log = this.shelf.logs.get(key) ?? [];
    let end = log.length;
    if (opts.before !== undefined) {
      if (!isInspectionId(opts.before)) return [];
      const before = opts.before;
      while (end > 0 && compareInspectionIds(log[end - 1].id, before) >= 0) end -= 1;
    }
    return log.slice(Math.max(0, end - limit), end).reverse();
  }

  async get(orgId: string, tunnel: string, id: string): Promise<InspectionRecord | undefined> {
    this.assertOpen();
    const key = keyOf(orgId, tunnel);
    this.expireIfDue(key, Date.now());
    return this.shelf.logs.get(key)?.find((r) => r.id === id);
  }

  async follow(
    orgId: string,
    tunnel: string,
    onRecord: (r: InspectionRecord) => void,
  ): Promise<() => Promise<void>> {
    this.assertOpen();
    const key = keyOf(orgId, tunnel);
    // A follower's failure is its own: it never reaches the relay that appended.
    const listener = (r: InspectionRecord) => {
      try {
        onRecord(r);
      } catch {
        // ignored on purpose
      }
    };
    this.shelf.events.on(key, listener);
    return async () => {
      this.shelf.events.off(key, listener);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  /** Drops a tunnel's whole log once its expiry has passed. */
  private expireIfDue(key: string, now: number): void {
    const s = this.shelf;
    const at = s.expires.get(key);
    if (at === undefined || at > now) return;
    s.expires.delete(key);
    const log = s.logs.get(key);
    if (!log) return;
    for (const r of log.splice(0)) this.drop(r);
    s.logs.delete(key);
  }

  private sweep(now: number): void {
    this.shelf.lastSweep = now;
    for (const key of [...this.shelf.expires.keys()]) this.expireIfDue(key, now);
    const s = this.shelf;
    s.order = s.order.filter((r) => s.live.has(r));
  }

  private drop(r: InspectionRecord | undefined): void {
    const s = this.shelf;
    if (!r || !s.live.delete(r)) return;
    s.bytes -= sizeOf(r);
    const key = keyOf(r.orgId, r.tunnel);
    if (s.logs.get(key)?.length === 0) s.logs.delete(key);
  }

  private assertOpen(): void {
    if (this.closed) throw new PortClosedError('inspection log');
  }
}
