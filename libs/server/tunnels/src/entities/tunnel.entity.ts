import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { TunnelProto } from '@fdt/protocol';
import { bigintNumber } from './bigint-number.js';

/** A tunnel as the control plane last heard of it from a relay. */
@Entity('tunnels')
@Index(['orgId', 'name', 'proto'], { unique: true })
// A relay's online rows: compared with its heartbeats, swept when it goes stale.
@Index('IDX_tunnels_relay_status', ['relayId', 'status'])
export class Tunnel {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  @Column('text')
  name!: string;

  @Column('text')
  proto!: TunnelProto;

  @Column('text')
  url!: string;

  @Column('text', { default: 'offline' })
  status!: 'online' | 'offline';

  @Column('uuid', { name: 'relay_id', nullable: true })
  relayId!: string | null;

  @Column('uuid', { name: 'authtoken_id', nullable: true })
  authtokenId!: string | null;

  /** Sequence (in its relay's current boot) of the report that last set `status`. */
  @Column('bigint', { name: 'status_seq', default: 0, transformer: bigintNumber })
  statusSeq!: number;

  @Column('timestamptz', { name: 'last_seen_at', nullable: true })
  lastSeenAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
