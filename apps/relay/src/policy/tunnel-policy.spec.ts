import { describe, expect, it } from '@jest/globals';
import { edgeBasicAuthKey, edgeBasicAuthVerifier, type TunnelRequest } from '@fdt/protocol';
import { CidrError, CidrSet, normalizeIp } from './cidr.js';
import { parseBasicAuth } from './basic-auth.js';
import { TunnelPolicy } from './tunnel-policy.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const req = (over: Partial<TunnelRequest> = {}): TunnelRequest => ({ id: 't', proto: 'http', name: 'shop', ...over });
const verifierKey = edgeBasicAuthKey('a relay secret of at least thirty-two characters');
const scope = { org: 'org-1', tunnel: 'shop', verifierKey };

describe('CIDR sets', () => {
  it('match IPv4 and IPv6 ranges, bare addresses, and IPv4-mapped visitors', () => {
    const s = CidrSet.parse(['10.0.0.0/8', '2001:db8::/32', '192.168.1.7']);
    expect(s.contains('10.200.3.4')).toBe(true);
    expect(s.contains('::ffff:10.1.1.1')).toBe(true);
    expect(s.contains('11.0.0.1')).toBe(false);
    expect(s.contains('2001:db8:1::5')).toBe(true);
    expect(s.contains('2001:db9::1')).toBe(false);
    expect(s.contains('192.168.1.7')).toBe(true);
    expect(s.contains('192.168.1.8')).toBe(false);
    expect(s.contains('not an ip')).toBe(false);
  });

  it.each(['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/8/1', '10.0.0.0/x', ''])('refuses %p', (c) => {
    expect(() => CidrSet.parse([c])).toThrow(CidrError);
  });

  it('normalises addresses the way sockets report them', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('FE80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp(undefined)).toBe('');
  });
});

describe('tunnel policy', () => {
  it('denies by either deny list and requires every allow list', () => {
    const p = TunnelPolicy.compile(
      { denyCidrs: ['10.9.0.0/16'], allowCidrs: ['10.0.0.0/8'] },
      req({ allowCidrs: ['10.1.0.0/16', '10.9.0.0/16'] }),
      100,
      scope,
    );
    expect(p.ipAllowed('10.1.2.3')).toBe(true);
    expect(p.ipAllowed('10.9.2.3')).toBe(false); // org deny wins
    expect(p.ipAllowed('10.2.2.3')).toBe(false); // not in the tunnel's allow list
    expect(p.ipAllowed('8.8.8.8')).toBe(false);
    expect(TunnelPolicy.compile({}, req(), 5, scope).ipAllowed('8.8.8.8')).toBe(true);
  });

  it('takes the smallest connection limit', () => {
    expect(TunnelPolicy.compile({ maxConns: 50 }, req({ maxConns: 7 }), 100, scope).maxConns).toBe(7);
    expect(TunnelPolicy.compile({}, req(), 100, scope).maxConns).toBe(100);
  });

  it('accepts credentials from the tunnel request or the org (keyed verifier), nothing else', async () => {
    const verifier = edgeBasicAuthVerifier(verifierKey, scope, 'ops', 'org-secret');
    const p = TunnelPolicy.compile(
      { basicAuth: [{ user: 'ops', verifier }] },
      req({ basicAuth: [{ user: 'u', password: 'p:w' }] }),
      10,
      scope,
    );
    expect(p.requiresAuth).toBe(true);
    expect(await p.authorized(basic('u', 'p:w'))).toBe(true);
    expect(p.check(basic('ops', 'org-secret'))).toBe(true);
    expect(p.check(basic('u', 'p'))).toBe(false);
    expect(p.check(basic('ops', 'nope'))).toBe(false);
    expect(p.check(basic('u', 'org-secret'))).toBe(false);
    expect(p.check(undefined)).toBe(false);
    expect(p.check('Bearer x')).toBe(false);
    expect(TunnelPolicy.compile({}, req(), 1, scope).check(undefined)).toBe(true);
    // A verifier is good for its own org and tunnel only.
    const elsewhere = TunnelPolicy.compile({ basicAuth: [{ user: 'ops', verifier }] }, req(), 1, {
      ...scope,
      tunnel: 'other',
    });
    expect(elsewhere.check(basic('ops', 'org-secret'))).toBe(false);
  });

  it('keeps no password: the agent\'s credentials survive a policy change only as MACs', () => {
    const p = TunnelPolicy.compile({}, req({ basicAuth: [{ user: 'u', password: 'hunter2-secret' }] }), 10, scope);
    const changed = p.withOrgPolicy({ maxConns: 3 });
    expect(changed.check(basic('u', 'hunter2-secret'))).toBe(true);
    expect(changed.maxConns).toBe(3);
    expect(JSON.stringify(p)).not.toContain('hunter2-secret');
    expect(JSON.stringify(changed)).not.toContain('hunter2-secret');
  });

  it('fails closed on org users without a usable verifier (a token from an older api)', () => {
    const legacy = { basicAuth: [{ user: 'ops', passwordHash: '$argon2id$v=19$...' }] } as unknown as Parameters<
      typeof TunnelPolicy.compile
    >[0];
    const p = TunnelPolicy.compile(legacy, req(), 10, scope);
    expect(p.requiresAuth).toBe(true);
    expect(p.check(basic('ops', 'anything'))).toBe(false);
  });

  it('parses basic credentials with colons in the password', () => {
    expect(parseBasicAuth(basic('a', 'b:c'))).toEqual({ user: 'a', password: 'b:c' });
    expect(parseBasicAuth('Basic !!!')).toBeUndefined();
  });
});
