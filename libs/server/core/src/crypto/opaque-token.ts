import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Opaque bearer secrets (API keys, agent authtokens, refresh and SCIM tokens): 32 random
// bytes behind a readable kind prefix, stored only as a SHA-256 hash. A fast hash is right
// here, unlike for passwords: the secret has 256 bits of entropy, so there is nothing to
// brute-force, and lookups by hash must be cheap.
export type TokenKind = 'ak' | 'at' | 'rt' | 'scim';

export function newOpaqueToken(kind: TokenKind): { token: string; hash: string; prefix: string } {
  const token = `fdt_${kind}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), prefix: token.slice(0, 14) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenKind(token: string): TokenKind | undefined {
  const m = /^fdt_(ak|at|rt|scim)_[A-Za-z0-9_-]{43}$/.exec(token);
  return m?.[1] as TokenKind | undefined;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
