import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The installation's account at one ACME directory; its key sealed with FDT_ENCRYPTION_KEY. */
@Entity('acme_accounts')
export class AcmeAccount {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text', { name: 'directory_url', unique: true })
  directoryUrl!: string;

  @Column('text', { nullable: true })
  email!: string | null;

  @Column('text', { name: 'account_url' })
  accountUrl!: string;

  @Column('text', { name: 'key_sealed' })
  keySealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
