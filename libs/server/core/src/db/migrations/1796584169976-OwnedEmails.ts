import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emails are owned, not claimed: users record when their address was proven and which org a
 * not-yet-proven password belongs to; invitations become pending memberships with a role.
 */
export class OwnedEmails1796584169976 implements MigrationInterface {
  name = 'OwnedEmails1796584169976';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "users" ADD "password_org_id" uuid');
    await q.query('ALTER TABLE "users" ADD "email_verified_at" TIMESTAMP WITH TIME ZONE');
    await q.query('ALTER TABLE "member_invitations" ADD "role" text NOT NULL DEFAULT \'member\'');
    await q.query('ALTER TABLE "member_invitations" ADD "delivery" text NOT NULL DEFAULT \'link\'');
    // Nobody proved the addresses of existing password accounts: each password keeps working
    // in the account's first org only, until its owner proves the address.
    await q.query(
      `UPDATE users u SET password_org_id = (SELECT m.org_id FROM memberships m WHERE m.user_id = u.id
         ORDER BY m.created_at LIMIT 1) WHERE u.password_hash IS NOT NULL`,
    );
    // Accounts that signed in through SSO for a verified domain did prove their address.
    await q.query(
      'UPDATE users u SET email_verified_at = now(), password_hash = NULL, password_org_id = NULL WHERE EXISTS (SELECT 1 FROM sso_identities i WHERE i.user_id = u.id)',
    );
    await q.query(
      'UPDATE member_invitations i SET role = m.role FROM memberships m WHERE m.org_id = i.org_id AND m.user_id = i.user_id',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "member_invitations" DROP COLUMN "delivery"');
    await q.query('ALTER TABLE "member_invitations" DROP COLUMN "role"');
    await q.query('ALTER TABLE "users" DROP COLUMN "email_verified_at"');
    await q.query('ALTER TABLE "users" DROP COLUMN "password_org_id"');
  }
}
