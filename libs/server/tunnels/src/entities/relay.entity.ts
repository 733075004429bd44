import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
