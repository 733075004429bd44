import { describe, expect, it } from '@jest/globals';
import { emailDomain, joinTxt, normalizeDomain } from './domain-name.js';

describe('normalizeDomain', () => {
  it('lower-cases, drops a trailing dot and turns IDNs into their ASCII form', () => {
    expect(normalizeDomain(' Example.COM. ')).toBe('example.com');
    expect(normalizeDomain('sub.example.co.uk')).toBe('sub.example.co.uk');
    expect(normalizeDomain('bücher.example')).toBe('xn--bcher-kva.example');
  });

  it('refuses what is not a domain name', () => {
    for (const bad of [
      '',
      'localhost',
      'example',
      '-bad.example.com',
      'bad-.example.com',
      'a..b.com',
      'exa mple.com',
      'user@example.com',
      'https://example.com',
      '192.168.0.1',
      `${'a'.repeat(64)}.com`,
      `${'a.'.repeat(130)}com`,
    ]) {
      expect([bad, normalizeDomain(bad)]).toEqual([bad, null]);
    }
  });
});

describe('emailDomain', () => {
  it('takes the part after the last @, normalized', () => {
    expect(emailDomain('Ana@Example.COM')).toBe('example.com');
    expect(emailDomain('"a@b"@corp.example')).toBe('corp.example');
    expect(emailDomain('no-at-sign')).toBeNull();
    expect(emailDomain('trailing@')).toBeNull();
    expect(emailDomain('@example.com')).toBeNull();
  });
});

describe('joinTxt', () => {
  it('joins the strings of one record and keeps records apart', () => {
    expect(joinTxt([['fdt-domain-', 'verification=abc'], ['v=spf1 -all']])).toEqual([
      'fdt-domain-verification=abc',
      'v=spf1 -all',
    ]);
  });
});
