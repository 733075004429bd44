// Plan limits at the edge: what relays enforce for an org now (not only what its agents' session
// tokens said when they were issued), and the bytes relays count per org for usage billing.

/** Pub/sub channels of billing that relays listen to (Redis when scaled, in-process on one node). */
export const BillingChannel = {
  /** `PlanChangedMessage`: an org's plan changed (committed); relays fetch its edge limits again. */
  PlanChanged: 'fdt.plan.changed',
  /** `UsageExceededMessage`: an org's bytes this month passed its plan's bandwidth; relays fetch its edge limits again. */
  UsageExceeded: 'fdt.usage.exceeded',
} as const;

export interface PlanChangedMessage {
  orgId: string;
  planId: string;
}

export interface UsageExceededMessage {
  orgId: string;
  /** 'YYYY-MM' (UTC) */
  period: string;
}

/**
 * What a relay enforces for an org's agents: the plan's limits as they are now, and whether the
 * org used up this month's bandwidth. `null`: unlimited.
 */
export interface EdgeLimits {
  /** tunnels one agent session may open (checked at each hello) */
  maxTunnels: number | null;
  /** concurrent visitor connections (or requests) per tunnel */
  maxConnsPerTunnel: number | null;
  /** visitors are refused (`bandwidth_limit`) and no new tunnel is granted (`plan_limit`) */
  bandwidthExceeded: boolean;
  /**
   * Hours a tunnel's inspected requests are kept after its last one (the plan's inspection
   * retention; 0: none recorded). Absent (an api from before plans carried it):
   * DEFAULT_INSPECTION_RETENTION_HOURS.
   */
  inspectionRetentionHours?: number;
}

/** Inspection retention when the api does not say (what every tunnel had before plans). */
export const DEFAULT_INSPECTION_RETENTION_HOURS = 24;
/** Bound on inspectionRetentionHours on the wire (ten years): its seconds stay a sane Redis EXPIRE. */
export const MAX_INSPECTION_RETENTION_HOURS = 10 * 366 * 24;

/** Relay -> api (relay secret as bearer): an org's edge limits now. */
export const relayEdgeLimitsPath = (orgId: string): string =>
  `/api/v1/relays/orgs/${encodeURIComponent(orgId)}/edge-limits`;

/** Relay -> api (relay secret as bearer): bytes through tunnels per org since the last report. */
export const RELAY_USAGE_PATH = '/api/v1/relays/usage';

/** Orgs one usage report may carry: a relay with more splits them over several reports. */
export const MAX_USAGE_REPORT_ORGS = 1000;

/**
 * One usage report. `(relayName, bootId, seq)` names it: the api counts a report once, so a
 * relay that did not hear the answer sends the very same report again (same seq, same bytes).
 */
export interface UsageReport {
  relayName: string;
  /** random per relay process start (RelayBoot); seq restarts at 1 with each boot */
  bootId?: string;
  seq: number;
  /** bytes (visitor in + out) per org since the previous report; at most MAX_USAGE_REPORT_ORGS */
  orgs: { orgId: string; bytes: number }[];
}

/** Checks the shape of a value that should be EdgeLimits (an answer from the api). */
export function isEdgeLimits(v: unknown): v is EdgeLimits {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const limit = (x: unknown) => x === null || (typeof x === 'number' && Number.isInteger(x) && x >= 0);
  const hours = (x: unknown) =>
    x === undefined ||
    (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_INSPECTION_RETENTION_HOURS);
  return (
    limit(o.maxTunnels) &&
    limit(o.maxConnsPerTunnel) &&
    typeof o.bandwidthExceeded === 'boolean' &&
    hours(o.inspectionRetentionHours)
  );
}
