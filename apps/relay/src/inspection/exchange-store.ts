/** One HTTP exchange through a tunnel, as the inspector shows it. */
export interface RecordedExchange {
  id: string;
  tunnel: string;
  method: string;
  path: string;
  status: number;
  /** visitor address */
  remoteAddr: string;
  requestHeaders: [string, string][];
  responseHeaders: [string, string][];
  /** the first BODY_CAPTURE_BYTES of each body, and whether there was more */
  requestBody: Buffer;
  requestBodyTruncated: boolean;
  responseBody: Buffer;
  responseBodyTruncated: boolean;
  requestBytes: number;
  responseBytes: number;
  startedAt: number;
  /** ms from start until the response head, and until the exchange ended */
  timeToHeadMs?: number;
  durationMs: number;
  /** Fdt-Error-Code when the edge answered itself */
  error?: string;
}

export const BODY_CAPTURE_BYTES = 64 * 1024;

/**
 * Where recorded exchanges go: a capped log per tunnel. In memory now; a Redis-stream store
 * (XADD with MAXLEN) can replace it when relays scale out.
 */
export interface ExchangeStore {
  append(exchange: RecordedExchange): void;
  /** newest first */
  list(tunnel: string, limit?: number): RecordedExchange[];
  clear(tunnel: string): void;
}

export const EXCHANGE_STORE = Symbol('EXCHANGE_STORE');

export interface MemoryExchangeStoreOptions {
  perTunnel?: number;
  /** bound on captured body bytes across all tunnels; the oldest exchanges go first */
  maxBytes?: number;
}

/** Keeps the last `perTunnel` exchanges of each tunnel, and at most `maxBytes` of bodies overall. */
export class MemoryExchangeStore implements ExchangeStore {
  private readonly logs = new Map<string, RecordedExchange[]>();
  // Every stored exchange in arrival order, to evict the globally oldest when over budget.
  private order: RecordedExchange[] = [];
  private readonly live = new Set<RecordedExchange>();
  private bytes = 0;
  private readonly perTunnel: number;
  private readonly maxBytes: number;

  constructor(opts: MemoryExchangeStoreOptions = {}) {
    this.perTunnel = opts.perTunnel ?? 500;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
  }

  append(x: RecordedExchange): void {
    let log = this.logs.get(x.tunnel);
    if (!log) this.logs.set(x.tunnel, (log = []));
    log.push(x);
    this.live.add(x);
    this.order.push(x);
    this.bytes += size(x);
    if (log.length > this.perTunnel) this.drop(log.shift());
    while (this.bytes > this.maxBytes && this.order.length) {
      const oldest = this.order.shift();
      if (oldest && this.live.has(oldest)) {
        const l = this.logs.get(oldest.tunnel);
        if (l?.[0] === oldest) l.shift();
        this.drop(oldest);
      }
    }
    // Entries dropped per tunnel linger in `order`; compact before it grows past twice the live set.
    if (this.order.length > 2 * this.live.size + 1024)
      this.order = this.order.filter((e) => this.live.has(e));
  }

  list(tunnel: string, limit = this.perTunnel): RecordedExchange[] {
    return (this.logs.get(tunnel) ?? []).slice(-limit).reverse();
  }

  clear(tunnel: string): void {
    for (const x of this.logs.get(tunnel) ?? []) this.drop(x);
    this.logs.delete(tunnel);
  }

  private drop(x: RecordedExchange | undefined): void {
    if (!x || !this.live.delete(x)) return;
    this.bytes -= size(x);
    const log = this.logs.get(x.tunnel);
    if (log && log.length === 0) this.logs.delete(x.tunnel);
  }
}

// From the byte counts (what the capture holds), so sizing a record does not assemble its bodies.
const size = (x: RecordedExchange) =>
  Math.min(x.requestBytes, BODY_CAPTURE_BYTES) + Math.min(x.responseBytes, BODY_CAPTURE_BYTES) + 1024;
