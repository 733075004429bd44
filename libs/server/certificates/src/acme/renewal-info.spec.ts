import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import * as x509 from '@peculiar/x509';
import { ariCertId, ariRenewAt } from './renewal-info.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function issued(serialNumber: string): Promise<{ leaf: string; issuer: string }> {
  const gen = (): Promise<webcrypto.CryptoKeyPair> =>
    webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
  const caKeys = await gen();
  const leafKeys = await gen();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test CA',
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: 'CN=ari.customer.test',
    issuer: ca.subject,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(ca, false)],
  });
  return { leaf: leaf.toString('pem'), issuer: ca.toString('pem') };
}

describe('ACME renewal information', () => {
  it.each(['0a1b2c3d4e5f6071', '00f1e2d3c4b5a69788'])(
    'encodes the certID of serial %s as the AKI key id and the DER serial, as node:crypto reads them',
    async (serial) => {
      const { leaf, issuer } = await issued(serial);
      const id = ariCertId(leaf);
      const [aki, ser] = (id ?? '').split('.');
      // RFC 5280 key id of the issuer: SHA-1 of its public key bits (the end of the SPKI DER).
      const spki = new X509Certificate(issuer).publicKey.export({ type: 'spki', format: 'der' });
      const keyId = createHash('sha1')
        .update(spki.subarray(spki.length - 65))
        .digest();
      expect(Buffer.from(aki ?? '', 'base64url')).toEqual(keyId);
      const serialBytes = Buffer.from(ser ?? '', 'base64url');
      expect(serialBytes.toString('hex')).toBe(serial);
      expect(BigInt(`0x${serialBytes.toString('hex')}`)).toBe(
        BigInt(`0x${new X509Certificate(leaf).serialNumber}`),
      );
      expect(id).not.toMatch(/[=+/]/);
    },
  );

  it('has no certID for a certificate without an authority key identifier', async () => {
    const keys = (await webcrypto.subtle.generateKey(alg, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const self = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '02',
      name: 'CN=self',
      keys,
      signingAlgorithm: alg,
    });
    expect(ariCertId(self.toString('pem'))).toBeNull();
  });

  const h = 3600_000;
  const now = new Date('2026-01-01T00:00:00Z');
  const at = (hours: number) => new Date(now.getTime() + hours * h);

  it('renews within a window that starts before the plan, never later than the plan', () => {
    expect(ariRenewAt({ start: at(10), end: at(20) }, at(100), now, () => 0.5)).toEqual(at(15));
    expect(ariRenewAt({ start: at(10), end: at(200) }, at(100), now, () => 1)).toEqual(at(100));
  });

  it('renews now when the random time in the window has passed, and keeps the plan when the window starts later', () => {
    expect(ariRenewAt({ start: at(-5), end: at(-1) }, at(100), now, () => 0.7)).toEqual(now);
    expect(ariRenewAt({ start: at(-5), end: at(5) }, at(100), now, () => 0)).toEqual(now);
    expect(ariRenewAt({ start: at(-5), end: at(5) }, at(100), now, () => 0.9)).toEqual(at(4));
    expect(ariRenewAt({ start: at(100), end: at(120) }, at(100), now)).toBeNull();
    expect(ariRenewAt({ start: at(150), end: at(200) }, at(100), now)).toBeNull();
  });
});
