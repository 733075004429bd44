import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Which connection a sign-in session came through, so that deleting or disabling the
 * connection ends exactly those sessions; SAML sessions keep NameID and SessionIndex for
 * single logout.
 */
@Entity('sso_sessions')
export class SsoSession {
  @PrimaryColumn('uuid', { name: 'session_id' })
  sessionId!: string;

  @Column('uuid', { name: 'connection_id' })
  @Index()
  connectionId!: string;

  @Column('uuid', { name: 'org_id' })
  orgId!: string;

  @Column('uuid', { name: 'user_id' })
  userId!: string;

  @Column('text', { name: 'name_id', nullable: true })
  nameId!: string | null;

  @Column('text', { name: 'name_id_format', nullable: true })
  nameIdFormat!: string | null;

  @Column('text', { name: 'session_index', nullable: true })
  sessionIndex!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
