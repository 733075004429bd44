import { createHmac, hkdfSync } from 'node:crypto';

// Basic auth an org sets on a tunnel in the admin, as relays check it. The api stores the
// password as argon2id (for itself) and as this keyed fast hash (for the edge); relays get
// the latter only over authenticated channels (relay-secret api calls, the control pub/sub),
// never inside a session token an agent holds. Without the relay secret it is worthless to
// an attacker; with it, each check costs a microsecond instead of an argon2 run per guess.

/** The HMAC key, derived from FDT_RELAY_SECRET (which the api and every relay share). */
export function edgeBasicAuthKey(relaySecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', relaySecret, 'fdt', 'edge basic auth v1', 32));
}

/**
 * HMAC-SHA256 (hex) over the org, the tunnel name, the user and the password, so that a
 * verifier is good for one user of one tunnel of one org only.
 */
export function edgeBasicAuthVerifier(
  key: Buffer,
  scope: { org: string; tunnel: string },
  user: string,
  password: string,
): string {
  return createHmac('sha256', key)
    .update(`${scope.org}\0${scope.tunnel}\0${user}\0${password}`)
    .digest('hex');
}
