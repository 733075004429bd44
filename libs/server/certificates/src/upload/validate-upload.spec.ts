import { webcrypto } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import * as x509 from '@peculiar/x509';
import { CertificatesException } from '../certificates.errors.js';
import { validateUpload } from './validate-upload.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 24 * 3600_000;

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A self-signed certificate for `names`, valid from `from` to `to` (ms from now). */
async function certificate(
  names: string[],
  keys: CryptoKeyPair,
  from = -DAY,
  to = 30 * DAY,
): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${names[0]}`,
    notBefore: new Date(Date.now() + from),
    notAfter: new Date(Date.now() + to),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  return cert.toString('pem');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CertificatesException ? e.code : `not a CertificatesException: ${String(e)}`;
  }
  return undefined;
}

describe('validateUpload', () => {
  it('accepts a current certificate for the hostname with its key, and reports its window and issuer', async () => {
    const keys = await keyPair();
    const pair = validateUpload(
      'app.customer.test',
      await certificate(['app.customer.test'], keys),
      await keyPem(keys),
    );
    expect(pair.names).toEqual(['app.customer.test']);
    expect(pair.notAfter.getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
    expect(pair.issuer).toContain('CN=app.customer.test');
  });

  it('accepts a wildcard certificate for a name one label below it', async () => {
    const keys = await keyPair();
    const cert = await certificate(['*.customer.test'], keys);
    expect(validateUpload('app.customer.test', cert, await keyPem(keys)).names).toEqual(['*.customer.test']);
  });

  it('refuses a certificate for another hostname with certificate_hostname_mismatch', async () => {
    const keys = await keyPair();
    const cert = await certificate(['other.customer.test'], keys);
    const key = await keyPem(keys);
    expect(codeOf(() => validateUpload('app.customer.test', cert, key))).toBe(
      'certificate_hostname_mismatch',
    );
    // A wildcard does not cover two labels down, nor the bare parent.
    const wild = await certificate(['*.customer.test'], keys);
    expect(codeOf(() => validateUpload('a.b.customer.test', wild, key))).toBe(
      'certificate_hostname_mismatch',
    );
    expect(codeOf(() => validateUpload('customer.test', wild, key))).toBe('certificate_hostname_mismatch');
  });

  it("refuses a key that is not the certificate's with certificate_key_mismatch", async () => {
    const cert = await certificate(['app.customer.test'], await keyPair());
    const otherKey = await keyPem(await keyPair());
    expect(codeOf(() => validateUpload('app.customer.test', cert, otherKey))).toBe(
      'certificate_key_mismatch',
    );
  });

  it('refuses an expired certificate (and one not yet valid) with certificate_expired', async () => {
    const keys = await keyPair();
    const key = await keyPem(keys);
    const expired = await certificate(['app.customer.test'], keys, -30 * DAY, -DAY);
    expect(codeOf(() => validateUpload('app.customer.test', expired, key))).toBe('certificate_expired');
    const future = await certificate(['app.customer.test'], keys, DAY, 30 * DAY);
    expect(codeOf(() => validateUpload('app.customer.test', future, key))).toBe('certificate_expired');
  });

  it('refuses text that is not PEM, and an encrypted or garbled key, with certificate_invalid', async () => {
    const keys = await keyPair();
    const cert = await certificate(['app.customer.test'], keys);
    expect(codeOf(() => validateUpload('app.customer.test', 'hello', 'x'))).toBe('certificate_invalid');
    expect(codeOf(() => validateUpload('app.customer.test', cert, 'not a key'))).toBe('certificate_invalid');
    const broken = cert.replace(/(-----BEGIN CERTIFICATE-----\n)..../, '$1AAAA');
    const key = await keyPem(keys);
    expect(codeOf(() => validateUpload('app.customer.test', broken, key))).toBe('certificate_invalid');
  });
});
