import { createHash } from 'node:crypto';
import type { AuditActorType, AuditEvent } from './audit-event.entity.js';
import type { JsonObject, JsonValue } from './json.js';

/** What an event's hash covers: every column but the row id and the hash itself. */
export interface ChainFields {
  orgId: string;
  seq: number;
  /** ISO 8601 with milliseconds (`Date.prototype.toISOString`). */
  occurredAt: string;
  actorType: AuditActorType;
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  summary: JsonObject;
  prevHash: string;
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace, so a value has one
 * text whatever the key order it was built or stored with (jsonb reorders keys).
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify would turn these into null: a hash must not silently change the value.
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** sha256 (hex) of the canonical JSON of an event's chained fields. */
export function computeEventHash(f: ChainFields): string {
  const doc: JsonObject = {
    orgId: f.orgId,
    seq: f.seq,
    occurredAt: f.occurredAt,
    actorType: f.actorType,
    actorId: f.actorId,
    actorLabel: f.actorLabel,
    action: f.action,
    targetType: f.targetType,
    targetId: f.targetId,
    ip: f.ip,
    userAgent: f.userAgent,
    summary: f.summary,
    prevHash: f.prevHash,
  };
  return createHash('sha256').update(canonicalJson(doc), 'utf8').digest('hex');
}

export function chainFieldsOf(e: AuditEvent): ChainFields {
  return {
    orgId: e.orgId,
    seq: e.seq,
    occurredAt: e.occurredAt.toISOString(),
    actorType: e.actorType,
    actorId: e.actorId,
    actorLabel: e.actorLabel,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    ip: e.ip,
    userAgent: e.userAgent,
    summary: e.summary,
    prevHash: e.prevHash,
  };
}
