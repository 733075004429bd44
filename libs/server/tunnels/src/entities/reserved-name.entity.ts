import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A tunnel name held by an org: <name>.<base domain> serves only that org's agents. */
@Entity('reserved_names')
export class ReservedName {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  @Index()
  orgId!: string;

  @Column('text', { unique: true })
  name!: string;

  @Column('text', { name: 'tls_mode', default: 'terminate' })
  tlsMode!: 'terminate' | 'passthrough';

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
