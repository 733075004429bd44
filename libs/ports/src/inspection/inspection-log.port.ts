/** One HTTP exchange through a tunnel, as the inspector and the admin show it. */
export interface InspectionRecord {
  /** assigned by the log on append; orders records (`<ms>-<seq>`, like a Redis stream id) */
  id: string;
  /** the relay's request id (also sent to the agent as `fdt-request-id`) */
  requestId: string;
  orgId: string;
  /** the tunnel's name */
  tunnel: string;
  host: string;
  method: string;
  path: string;
  status: number;
  /** visitor address */
  remoteAddr: string;
  requestHeaders: [string, string][];
  responseHeaders: [string, string][];
  /** base64 of the first INSPECTION_BODY_BYTES of each body */
  requestBody: string;
  requestBodyTruncated: boolean;
  responseBody: string;
  responseBodyTruncated: boolean;
  requestBytes: number;
  responseBytes: number;
  /** epoch ms */
  startedAt: number;
  /** ms from start until the response head, and until the exchange ended */
  timeToHeadMs?: number;
  durationMs: number;
  /** Fdt-Error-Code when the edge answered itself */
  error?: string;
}

export type NewInspectionRecord = Omit<InspectionRecord, 'id'>;

/** Bytes of each body a record keeps. */
export const INSPECTION_BODY_BYTES = 64 * 1024;

/**
 * The capped per-tunnel log of HTTP exchanges: relays append, the api reads and follows it.
 * Redis streams when scaled (XADD MAXLEN, EXPIRE), a process-wide ring per namespace on one
 * node. Each tunnel's log expires as a whole, a ttl after its last append.
 */
export interface InspectionLog {
  /**
   * Adds a record at the end of its tunnel's log (the oldest fall off past the cap) and
   * returns its id. The single-node adapter keeps the object itself and sets its `id`: the
   * caller must not change it afterwards (it may be lazy: getters are read only when shown).
   * `ttlSeconds` (a positive integer; default the log's `retentionSeconds`): the tunnel's log
   * goes away this long after this append, whatever an earlier append said (so the retention
   * of the org's plan as it is now applies from the next request on).
   */
  append(record: NewInspectionRecord, ttlSeconds?: number): Promise<string>;
  /**
   * The data plane's append: nothing to wait for, no id, at the same cap and ttl. The Redis log
   * writes the records of a short window (`INSPECTION_RECORD_WINDOW_MS`) together, each
   * tunnel's last `perTunnel` of them only (the cap would trim the older ones at once), so a
   * relay under load writes at most `perTunnel` records per tunnel per window whatever its
   * request rate; followers see the records written. Failures go to the log's error reporter
   * (at most one a minute).
   */
  record(record: NewInspectionRecord, ttlSeconds?: number): void;
  /** Newest first; `before` (an id) pages backwards. */
  list(
    orgId: string,
    tunnel: string,
    opts?: { limit?: number; before?: string },
  ): Promise<InspectionRecord[]>;
  get(orgId: string, tunnel: string, id: string): Promise<InspectionRecord | undefined>;
  /** Calls `onRecord` for every record appended from now on; resolves to an unsubscribe. */
  follow(
    orgId: string,
    tunnel: string,
    onRecord: (r: InspectionRecord) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface InspectionLogOptions {
  namespace?: string;
  /** records kept per tunnel; default 200 */
  perTunnel?: number;
  /** a tunnel's log goes away this long after its last append, when the append gives no ttl; default one day */
  retentionSeconds?: number;
}

export const DEFAULT_INSPECTION_PER_TUNNEL = 200;
/** How long the Redis log gathers `record()`s before writing them. */
export const INSPECTION_RECORD_WINDOW_MS = 200;
/** How long a tunnel's log stays after its last append when nobody says otherwise. */
export const DEFAULT_INSPECTION_RETENTION_SECONDS = 86_400;
/** A list() never returns more than this. */
export const MAX_INSPECTION_PAGE = 500;

/** `<ms>-<seq>` ids compare as pairs of numbers, as Redis stream ids do. */
export function compareInspectionIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

export function isInspectionId(id: string): boolean {
  return /^\d{1,16}-\d{1,16}$/.test(id);
}
