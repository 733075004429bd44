import { Check, Column, Entity, Index, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';
import type { JsonObject } from './json.js';

export const AUDIT_ACTOR_TYPES = ['user', 'api_key', 'agent', 'scim', 'system'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

// Per-org sequence numbers stay far below 2^53: read them as numbers, not pg's int8 strings.
const seqTransformer: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * One entry of an org's append-only, hash-chained audit log. `id` orders all events
 * (it is the pagination cursor); `seq` orders one org's chain, whose links are `prev_hash`.
 */
@Entity('audit_events')
@Index('audit_events_org_id_seq_key', ['orgId', 'seq'], { unique: true })
// Created as (org_id, id DESC) by the migration; TypeORM indexes have no column order.
@Index('audit_events_org_id_id_idx', ['orgId', 'id'])
@Index('audit_events_org_id_action_idx', ['orgId', 'action'])
@Check('audit_events_actor_type_check', `actor_type IN ('user', 'api_key', 'agent', 'scim', 'system')`)
@Check('audit_events_chain_check', `seq >= 1 AND hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$'`)
export class AuditEvent {
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'audit_events_pkey',
  })
  id!: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId!: string;

  @Column({ type: 'bigint', transformer: seqTransformer })
  seq!: number;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'actor_type', type: 'text' })
  actorType!: AuditActorType;

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_label', type: 'text', nullable: true })
  actorLabel!: string | null;

  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: string;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  // text, not inet: inet rewrites addresses (IPv6 case, zero runs), which would break the hash.
  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  summary!: JsonObject;

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash!: string;

  @Column({ type: 'text' })
  hash!: string;
}
