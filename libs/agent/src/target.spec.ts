import { describe, expect, it } from '@jest/globals';
import { InvalidOptionsError } from './errors.js';
import { formatTarget, parseTarget } from './target.js';

describe('local targets', () => {
  it.each([
    [3000, 'http', { protocol: 'http:', host: '127.0.0.1', port: 3000 }],
    ['8080', 'http', { protocol: 'http:', host: '127.0.0.1', port: 8080 }],
    ['localhost:5173', 'http', { protocol: 'http:', host: 'localhost', port: 5173 }],
    ['http://app.internal:81', 'http', { protocol: 'http:', host: 'app.internal', port: 81 }],
    ['https://localhost', 'http', { protocol: 'https:', host: 'localhost', port: 443 }],
    ['http://[::1]:3000/', 'http', { protocol: 'http:', host: '::1', port: 3000 }],
    ['22', 'tcp', { protocol: 'tcp:', host: '127.0.0.1', port: 22 }],
    ['[::1]:5432', 'tcp', { protocol: 'tcp:', host: '::1', port: 5432 }],
    ['10.0.0.5:443', 'tls', { protocol: 'tcp:', host: '10.0.0.5', port: 443 }],
  ] as const)('%s (%s)', (addr, proto, want) => {
    expect(parseTarget(addr, proto)).toEqual(want);
  });

  it.each([
    ['0', 'http', /out of range/],
    ['65536', 'tcp', /out of range/],
    ['', 'http', /empty/],
    ['abc', 'http', /expected a port/],
    ['http://localhost:3000/api', 'http', /no path/],
    ['http://u:p@localhost:3000', 'http', /credentials/],
    ['ftp://localhost:21', 'http', /http:\/\/ or https:\/\//],
    ['http://localhost:80', 'tcp', /tcp:\/\//],
    ['::1:80', 'tcp', /expected a port|IPv6/],
  ] as const)('refuses %p for %s', (addr, proto, message) => {
    expect(() => parseTarget(addr, proto)).toThrow(InvalidOptionsError);
    expect(() => parseTarget(addr, proto)).toThrow(message);
  });

  it('formats targets for logs, bracketing IPv6', () => {
    expect(formatTarget({ protocol: 'http:', host: '127.0.0.1', port: 3000 })).toBe('http://127.0.0.1:3000');
    expect(formatTarget({ protocol: 'tcp:', host: '::1', port: 22 })).toBe('tcp://[::1]:22');
  });
});
