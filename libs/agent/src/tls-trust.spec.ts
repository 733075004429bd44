import { rootCertificates } from 'node:tls';
import { describe, expect, it } from '@jest/globals';
import { trustedCas, trustedContext } from './tls-trust.js';

// Any valid PEM stands for "the relay's CA" here: one of the system roots.
const CA = rootCertificates[0] as string;

describe('trusted CAs', () => {
  it('keeps the system roots and adds the given CAs', () => {
    const list = trustedCas([CA]);
    expect(list.at(-1)).toBe(CA);
    expect(list.length).toBe(rootCertificates.length + 1);
  });

  it('builds one TLS context per CA value, not one per dial', () => {
    const buf = Buffer.from(CA);
    expect(trustedContext(buf)).toBe(trustedContext(buf));
    expect(trustedContext(CA)).toBe(trustedContext(CA));
    expect(trustedContext(Buffer.from(CA))).not.toBe(trustedContext(buf));
  });
});
