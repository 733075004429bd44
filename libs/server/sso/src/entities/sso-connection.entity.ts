import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '@fdt/server-core';

export const SSO_PROTOCOLS = ['saml', 'oidc'] as const;
export type SsoProtocol = (typeof SSO_PROTOCOLS)[number];

/** One rule of the IdP group -> role mapping; rules are tried in order, the first match wins. */
export interface GroupRoleRule {
  group: string;
  role: Role;
}

export const OIDC_CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type OidcClientAuthMethod = (typeof OIDC_CLIENT_AUTH_METHODS)[number];

/**
 * An org's identity provider: SAML 2.0 (we are the SP) or OpenID Connect (we are the relying
 * party). Protocol-specific columns are null for the other protocol.
 */
@Entity('sso_connections')
export class SsoConnection {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'org_id' })
  @Index()
  orgId!: string;

  @Column('text')
  protocol!: SsoProtocol;

  @Column('text')
  name!: string;

  @Column('boolean', { default: true })
  enabled!: boolean;

  /** Create accounts and memberships on first sign-in (else only existing members get in). */
  @Column('boolean', { name: 'jit_enabled', default: true })
  jitEnabled!: boolean;

  /** The role of members created by JIT when no group rule matches. */
  @Column('text', { name: 'default_role', default: 'member' })
  defaultRole!: Role;

  /** The SAML attribute name or OIDC claim that carries the user's groups. */
  @Column('text', { name: 'groups_attribute', default: 'groups' })
  groupsAttribute!: string;

  @Column('jsonb', { name: 'group_roles', default: () => "'[]'" })
  groupRoles!: GroupRoleRule[];

  @Column('text', { name: 'saml_idp_entity_id', nullable: true })
  samlIdpEntityId!: string | null;

  @Column('text', { name: 'saml_sso_url', nullable: true })
  samlSsoUrl!: string | null;

  @Column('text', { name: 'saml_slo_url', nullable: true })
  samlSloUrl!: string | null;

  /** The IdP's signing certificates (PEM); several during a rotation. */
  @Column('jsonb', { name: 'saml_idp_certs', nullable: true })
  samlIdpCerts!: string[] | null;

  @Column('boolean', { name: 'saml_allow_idp_initiated', default: false })
  samlAllowIdpInitiated!: boolean;

  /** The attribute holding the email; when null, well-known names and then the NameID are tried. */
  @Column('text', { name: 'saml_email_attribute', nullable: true })
  samlEmailAttribute!: string | null;

  @Column('text', { name: 'oidc_issuer', nullable: true })
  oidcIssuer!: string | null;

  @Column('text', { name: 'oidc_client_id', nullable: true })
  oidcClientId!: string | null;

  /** Sealed with FDT_ENCRYPTION_KEY (AES-256-GCM); never returned by the API. */
  @Column('text', { name: 'oidc_client_secret_sealed', nullable: true })
  oidcClientSecretSealed!: string | null;

  @Column('text', { name: 'oidc_client_auth_method', nullable: true })
  oidcClientAuthMethod!: OidcClientAuthMethod | null;

  @Column('text', { name: 'oidc_scopes', nullable: true })
  oidcScopes!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
