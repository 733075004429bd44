import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { canonicalJson, type ChainFields, computeEventHash } from './audit-hash.js';
import { GENESIS_HASH } from './constants.js';

const fields: ChainFields = {
  orgId: '0b6f3c2e-5a0e-4c43-9a38-6a7c0d1f2e3a',
  seq: 1,
  occurredAt: '2026-11-25T05:00:00.123Z',
  actorType: 'user',
  actorId: 'u-1',
  actorLabel: 'ana@example.com',
  action: 'member.role_changed',
  targetType: 'member',
  targetId: 'm-9',
  ip: '203.0.113.9',
  userAgent: null,
  summary: { to: 'admin', from: 'member', z: [1, { b: null, a: 'é' }] },
  prevHash: GENESIS_HASH,
};

// Written by hand: keys sorted at every depth, no whitespace, nulls kept.
const CANONICAL =
  '{"action":"member.role_changed","actorId":"u-1","actorLabel":"ana@example.com","actorType":"user",' +
  '"ip":"203.0.113.9","occurredAt":"2026-11-25T05:00:00.123Z","orgId":"0b6f3c2e-5a0e-4c43-9a38-6a7c0d1f2e3a",' +
  `"prevHash":"${GENESIS_HASH}","seq":1,"summary":{"from":"member","to":"admin","z":[1,{"a":"é","b":null}]},` +
  '"targetId":"m-9","targetType":"member","userAgent":null}';

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, 2], c: 'x y' } })).toBe(
      '{"a":{"c":"x y","d":[3,1,2]},"b":1}',
    );
  });

  it('gives one text for the same value built in any key order', () => {
    const a = canonicalJson({ x: 1, y: { p: true, q: null } });
    const b = canonicalJson({ y: { q: null, p: true }, x: 1 });
    expect(a).toBe(b);
  });

  it('escapes strings as JSON does, including quotes, newlines and non-ASCII', () => {
    expect(canonicalJson({ s: 'a"b\nc\u0001é' })).toBe('{"s":"a\\"b\\nc\\u0001é"}');
  });

  it('refuses non-finite numbers instead of hashing them as null', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(TypeError);
  });
});

describe('computeEventHash', () => {
  it('is sha256 hex of the canonical JSON of every chained field', () => {
    expect(createHash('sha256').update(CANONICAL).digest('hex')).toBe(
      '9c44c02911f47c1ac7cc2f50761deb07fda836806940edc69c914b3fe46423c7', // computed independently (Python hashlib)
    );
    expect(computeEventHash(fields)).toBe('9c44c02911f47c1ac7cc2f50761deb07fda836806940edc69c914b3fe46423c7');
  });

  it('changes when any chained field changes', () => {
    const base = computeEventHash(fields);
    const variants: Partial<ChainFields>[] = [
      { orgId: '1b6f3c2e-5a0e-4c43-9a38-6a7c0d1f2e3a' },
      { seq: 2 },
      { occurredAt: '2026-11-25T05:00:00.124Z' },
      { actorType: 'api_key' },
      { actorId: null },
      { actorLabel: 'eve@example.com' },
      { action: 'member.removed' },
      { targetType: 'org' },
      { targetId: 'm-8' },
      { ip: '203.0.113.10' },
      { userAgent: 'curl/8' },
      { summary: { from: 'member', to: 'owner', z: [1, { b: null, a: 'é' }] } },
      { prevHash: 'f'.repeat(64) },
    ];
    const hashes = variants.map((v) => computeEventHash({ ...fields, ...v }));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('does not depend on the key order of the summary (jsonb reorders keys)', () => {
    const reordered = { ...fields, summary: { z: [1, { a: 'é', b: null }], from: 'member', to: 'admin' } };
    expect(computeEventHash(reordered)).toBe(computeEventHash(fields));
  });
});
