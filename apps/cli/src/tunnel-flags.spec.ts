import { describe, expect, it } from '@jest/globals';
import { UsageError } from './errors.js';
import { tunnelSpecFromFlags } from './tunnel-flags.js';

describe('tunnel flags', () => {
  it('builds the tunnel from valid flags, normalizing CIDRs', () => {
    expect(
      tunnelSpecFromFlags('http', '3000', {
        name: 'my-app',
        'basic-auth': ['alice:pa:ss'],
        'allow-cidr': ['10.0.0.0/8', '192.168.1.1'],
        'deny-cidr': ['10.1.0.0/16'],
        'max-conns': 50,
        inspect: false,
      }),
    ).toEqual({
      proto: 'http',
      addr: '3000',
      name: 'my-app',
      basicAuth: [{ user: 'alice', password: 'pa:ss' }],
      allowCidrs: ['10.0.0.0/8', '192.168.1.1/32'],
      denyCidrs: ['10.1.0.0/16'],
      maxConns: 50,
      inspect: false,
    });
    expect(tunnelSpecFromFlags('tcp', '5432', { 'remote-port': 20001 })).toEqual({
      proto: 'tcp',
      addr: '5432',
      remotePort: 20001,
    });
    expect(tunnelSpecFromFlags('tls', '8443', { domain: 'App.Example.com' })).toEqual({
      proto: 'tls',
      addr: '8443',
      domain: 'app.example.com',
    });
  });

  it.each([
    ['http', '0', {}, 'ADDR'],
    ['http', 'http://localhost:3000/path', {}, 'ADDR'],
    ['http', '3000', { 'allow-cidr': ['10.0.0.0/33'] }, '--allow-cidr'],
    ['http', '3000', { 'deny-cidr': ['nope'] }, '--deny-cidr'],
    ['http', '3000', { 'basic-auth': ['alice'] }, '--basic-auth'],
    ['http', '3000', { name: '-bad-' }, '--name'],
    ['http', '3000', { domain: 'not a host' }, '--domain'],
    ['http', '3000', { 'remote-port': 20001 }, '--remote-port'],
    ['tcp', '22', { name: 'x' }, '--name'],
    ['tcp', '22', { 'basic-auth': ['a:b'] }, '--basic-auth'],
    ['tls', '8443', {}, '--domain'],
  ] as const)('%s %s %j is a usage error naming %s', (proto, addr, flags, flag) => {
    let err: unknown;
    try {
      tunnelSpecFromFlags(proto, addr, flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).flag).toBe(flag);
    expect((err as Error).message.startsWith(flag)).toBe(true);
  });
});
