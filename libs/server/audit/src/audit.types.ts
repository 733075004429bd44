import type { Actor } from '@fdt/server-core';
import type { AuditActorType } from './audit-event.entity.js';

/** What a mutation tells the audit log; who, from where, comes from the Actor. */
export interface AuditInput {
  orgId: string;
  actor: Actor;
  /** Dotted, lower-case: `member.role_changed`, `authtoken.created`. */
  action: string;
  target: { type: string; id?: string | null };
  /** What changed, e.g. `{ from: 'member', to: 'admin' }`. Never secrets: secret-named keys are redacted. */
  summary?: Record<string, unknown>;
  /** A readable name for the actor (an email, a key's name); defaults to `actor.label`. */
  actorLabel?: string | null;
}

export interface AuditFilters {
  /** Exact (`member.role_changed`) or a prefix ending in `.*` (`member.*`). */
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive lower bound on occurredAt. */
  from?: Date;
  /** Exclusive upper bound on occurredAt. */
  to?: Date;
}

/** An audit event as it leaves the service (and the API). */
export interface AuditEntry {
  id: string;
  seq: number;
  occurredAt: string;
  actor: { type: AuditActorType; id: string | null; label: string | null };
  action: string;
  target: { type: string; id: string | null };
  ip: string | null;
  userAgent: string | null;
  summary: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface IntegrityReport {
  ok: boolean;
  /** Events examined, in chain order; on failure, up to and including the first bad one. */
  checked: number;
  firstBadId?: string;
}

export const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];
