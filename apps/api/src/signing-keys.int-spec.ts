import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { type Harness, startHarness } from '../test/harness.js';

/** A well-formed access token signed by a key the api never had, under `kid`. */
async function forged(h: Harness, kid: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return new SignJWT({ sub: randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    .setIssuer(h.config.api.publicUrl)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('signing keys: tokens with unknown key ids', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  /**
   * Runs `fn` while another transaction holds signing_keys locked: a request that reloads the
   * keys waits for the lock, so one that answers within the timeout did not touch the table.
   */
  const withKeysLocked = async <T>(fn: () => Promise<T>): Promise<T> => {
    const qr = h.ds.createQueryRunner();
    await qr.startTransaction();
    try {
      await qr.query('LOCK TABLE signing_keys IN ACCESS EXCLUSIVE MODE');
      return await fn();
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
  };
  const me = (bearer: string) =>
    fetch(`${h.api.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${bearer}` },
      signal: AbortSignal.timeout(3000),
    }).then((r) => r.status);

  it('a kid found unknown once is refused again without a reload', async () => {
    const token = await forged(h, 'a-kid-nobody-minted');
    expect(await me(token)).toBe(401);
    expect(await withKeysLocked(() => me(token))).toBe(401);
  });

  it('a stream of made-up kids gets a few reloads, not one per request', async () => {
    const owner = await h.signup();
    await sleep(5500); // a full reload ration
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await me(await forged(h, randomUUID())));
    expect(new Set(statuses)).toEqual(new Set([401]));
    // The ration is spent: the next made-up kid is refused without waiting for the table.
    const next = await forged(h, randomUUID());
    expect(await withKeysLocked(() => me(next))).toBe(401);
    // The api's own tokens still work.
    expect((await owner.client.get('/api/v1/me')).status).toBe(200);
  });
});
