import argon2 from 'argon2';

// argon2id with the library's defaults (m=64 MiB, t=3, p=4): OWASP's recommended floor.
export const hashPassword = (password: string): Promise<string> =>
  argon2.hash(password, { type: argon2.argon2id });

// Verifying against a fixed hash when the account does not exist keeps the response time
// from telling an attacker which emails have accounts.
let dummy: Promise<string> | undefined;
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash) {
    await argon2.verify(await (dummy ??= hashPassword('not-a-real-password')), password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}
