import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An Ed25519 key that signs access tokens and agent session tokens. */
@Entity('signing_keys')
export class SigningKey {
  @PrimaryColumn('text')
  kid!: string;

  @Column('text', { default: 'EdDSA' })
  alg!: string;

  @Column('jsonb', { name: 'public_jwk' })
  publicJwk!: Record<string, string>;

  /** PKCS#8 PEM sealed with FDT_ENCRYPTION_KEY. */
  @Column('text', { name: 'private_key_sealed' })
  privateKeySealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** After this, the key no longer signs; it stays in the JWKS until tokens it signed expire. */
  @Column('timestamptz', { name: 'rotate_at' })
  rotateAt!: Date;

  /** After this, the key leaves the JWKS. */
  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;
}
