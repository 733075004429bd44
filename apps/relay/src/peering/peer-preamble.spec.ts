import { describe, expect, it } from '@jest/globals';
import { checkPreamble, PREAMBLE_MAX_SKEW_MS, preambleKey, signPreamble } from './peer-preamble.js';
import { ReplayGuard } from './replay-guard.js';

const key = preambleKey('a relay secret of at least thirty-two characters');
const visitor = { kind: 'http', proto: 'https', remoteAddress: '2001:db8::7', remotePort: 51000 } as const;

describe('peer preamble', () => {
  it('round-trips through JSON and names the visitor, the sender and one hop', () => {
    const p = JSON.parse(JSON.stringify(signPreamble(key, visitor, 'relay-b')));
    const check = checkPreamble(key, p);
    expect(check).toEqual({ ok: true, preamble: p });
    expect(p).toMatchObject({ ...visitor, type: 'peer', v: 1, hops: 1, from: 'relay-b' });
  });

  it('refuses another secret, and any field changed after signing', () => {
    const p = signPreamble(key, visitor, 'relay-b');
    expect(checkPreamble(preambleKey('another secret, also long enough to pass'), p)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/MAC/),
    });
    const tampered: Array<Record<string, unknown>> = [
      { remoteAddress: '203.0.113.1' },
      { remotePort: 51001 },
      { proto: 'http' },
      { kind: 'tls' },
      { hops: 2 },
      { from: 'relay-c' },
      { ts: p.ts + 1 },
      { nonce: 'A'.repeat(22) },
    ];
    for (const change of tampered) expect(checkPreamble(key, { ...p, ...change }).ok).toBe(false);
  });

  it('refuses malformed preambles before looking at the MAC', () => {
    const p = signPreamble(key, visitor, 'relay-b');
    for (const bad of [
      null,
      [],
      'peer',
      { ...p, extra: 1 },
      { ...p, remoteAddress: 'not-an-ip' },
      { ...p, remotePort: 70000 },
      { ...p, hops: 0 },
      { ...p, v: 2 },
      { ...p, mac: 'short' },
    ])
      expect(checkPreamble(key, bad).ok).toBe(false);
    const { mac: _mac, ...unsigned } = p;
    expect(checkPreamble(key, unsigned).ok).toBe(false);
  });

  it('refuses a preamble too old or from too far in the future', () => {
    const now = Date.now();
    const old = signPreamble(key, visitor, 'relay-b', 1, now - PREAMBLE_MAX_SKEW_MS - 1);
    const future = signPreamble(key, visitor, 'relay-b', 1, now + PREAMBLE_MAX_SKEW_MS + 1);
    expect(checkPreamble(key, old, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/old/) });
    expect(checkPreamble(key, future, now).ok).toBe(false);
    expect(checkPreamble(key, signPreamble(key, visitor, 'relay-b', 1, now - 1000), now).ok).toBe(true);
  });
});

describe('ReplayGuard', () => {
  it('accepts a nonce once while it is fresh, and forgets it once its preamble has expired', () => {
    const guard = new ReplayGuard();
    const t = 1_000_000;
    expect(guard.accept('n1', t, t)).toBe(true);
    expect(guard.accept('n1', t, t + 1000)).toBe(false);
    expect(guard.accept('n2', t, t + 1000)).toBe(true);
    // Past the skew window the age check refuses it anyway: the memory may go.
    guard.accept('n3', t + 2 * PREAMBLE_MAX_SKEW_MS, t + 2 * PREAMBLE_MAX_SKEW_MS);
    expect(guard.size).toBe(1);
  });

  it('stays within its bound under a flood', () => {
    const guard = new ReplayGuard(100);
    const t = 5_000_000;
    for (let i = 0; i < 1000; i++) expect(guard.accept(`n${i}`, t, t)).toBe(true);
    expect(guard.size).toBe(100);
    expect(guard.accept('n999', t, t)).toBe(false);
  });
});
