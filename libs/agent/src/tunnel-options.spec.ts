import { describe, expect, it } from '@jest/globals';
import { handshakeError, AuthError, RefusedError } from './errors.js';
import { parseBasicAuth, parseCidr } from './tunnel-options.js';

describe('tunnel options', () => {
  it('splits user:password at the first colon', () => {
    expect(parseBasicAuth('alice:s3:cr3t')).toEqual({ user: 'alice', password: 's3:cr3t' });
    for (const bad of ['alice', ':pw', 'alice:', ''])
      expect(() => parseBasicAuth(bad)).toThrow(/user:password/);
  });

  it('never echoes a password in its error', () => {
    expect(() => parseBasicAuth({ user: 'a', password: '' })).toThrow(/needs a user and a password/);
  });

  it('normalizes CIDRs and bare addresses, refuses the rest', () => {
    expect(parseCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(parseCidr(' 192.168.1.10 ')).toBe('192.168.1.10/32');
    expect(parseCidr('2001:db8::/032')).toBe('2001:db8::/32');
    expect(parseCidr('::1')).toBe('::1/128');
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com/8', '::/129', '1.2.3.4/8/9', '1.2.3.4/x']) {
      expect(() => parseCidr(bad)).toThrow(/invalid CIDR/);
    }
  });
});

describe('handshake errors', () => {
  it('maps relay codes to error classes and exit codes', () => {
    const auth = handshakeError({ code: 'auth_failed', message: 'bad token' });
    expect(auth).toBeInstanceOf(AuthError);
    expect(auth.exitCode).toBe(3);
    for (const code of ['name_taken', 'plan_limit', 'policy_denied'] as const) {
      const e = handshakeError({ code, message: 'no', tunnelId: 'web' });
      expect(e).toBeInstanceOf(RefusedError);
      expect(e).toMatchObject({ exitCode: 4, code, tunnelId: 'web', retryable: false });
    }
    expect(handshakeError({ code: 'version_unsupported', message: 'old' })).toMatchObject({
      exitCode: 1,
      retryable: false,
    });
    expect(handshakeError({ code: 'internal_error', message: 'oops' })).toMatchObject({
      exitCode: 1,
      retryable: true,
    });
  });
});
