import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An org's SSO policy; no row means SSO is optional. */
@Entity('sso_settings')
export class SsoSettings {
  @PrimaryColumn('uuid', { name: 'org_id' })
  orgId!: string;

  /** When on, members must sign in through the IdP: no password sign-in, no new API keys. */
  @Column('boolean', { default: false })
  enforced!: boolean;

  /** Owners who keep password sign-in while SSO is enforced (for when the IdP is down). */
  @Column('uuid', { name: 'break_glass_user_ids', array: true, default: () => "'{}'" })
  breakGlassUserIds!: string[];

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
