import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.js';

/** A relay known to the control plane, kept current by its heartbeats. */
@Entity('relays')
export class Relay {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text', { unique: true })
  name!: string;

  @Column('text')
  region!: string;

  @Column('text', { name: 'public_host' })
  publicHost!: string;

  @Column('int', { name: 'agent_port' })
  agentPort!: number;

  @Column('boolean', { name: 'agent_tls', default: false })
  agentTls!: boolean;

  @Column('int', { name: 'http_port' })
  httpPort!: number;

  @Column('int', { name: 'https_port' })
  httpsPort!: number;

  @Column('int')
  capacity!: number;

  /** Agents connected at the last heartbeat. */
  @Column('int')
  load!: number;

  /** Operator-set share of new agents (0 drains the relay). */
  @Column('int', { default: 100 })
  weight!: number;

  @Column('timestamptz', { name: 'last_heartbeat_at' })
  lastHeartbeatAt!: Date;

  /** The relay process whose tunnels the rows below describe (null: a relay that sends none). */
  @Column('text', { name: 'boot_id', nullable: true })
  bootId!: string | null;

  /** Highest status sequence of that boot applied here (events and full sets). */
  @Column('bigint', { name: 'status_seq', default: 0, transformer: bigintNumber })
  statusSeq!: number;

  /** Sequence of the last full set applied: events of this boot up to it are already in it. */
  @Column('bigint', { name: 'set_seq', default: 0, transformer: bigintNumber })
  setSeq!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
