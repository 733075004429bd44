import { describe, expect, it } from '@jest/globals';
import { parseIdpMetadata } from './idp-metadata.js';
import { normalizeCertificate } from './xml.js';

// A self-signed certificate (its key was thrown away): only its shape matters here.
const CERT =
  'MIIDGTCCAgGgAwIBAgIUZpxUq+u+0llR5kXz6mwY/3tADJowDQYJKoZIhvcNAQELBQAwHDEaMBgGA1UEAwwRTWV0YWRhdGEgVGVzdCBJZFAwHhcNMjYxMTI1MDgxNDAzWhcNMzYxMTIyMDgxNDAzWjAcMRowGAYDVQQDDBFNZXRhZGF0YSBUZXN0IElkUDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMufCriMHil/V0b25BZunI//H1Q3RYeb5f67eL+gmmXKbAmac+ciz26fU5RwfKRSMY4tgbDX1f3Ai3j67H4WoajldhVKy0kNPJ/sizXZwln6ihcQGG8RnUnrtFNIeKieJN2C3fY+PVLIJ/qK1kkJAfaE8ok7R3jKnTGMbOeaoYhYt3klG5H1T53CmZP66fxNM99Kiecfaho56rffprBk4Z2IA+ZB39ovbmBVEJkandiNP8i9F9t5LDzC6UhpQ4i2KxX2JcJijmSaSiKfSIVbcrSCz+G+cwg8QRW4Tws/PYt2yVx5zZ9IIhlQy3v1r5GsGq16/DiSmsygy967HQpgrPkCAwEAAaNTMFEwHQYDVR0OBBYEFGPfzwKvDCNNnsDhPVhsC/QZvzrdMB8GA1UdIwQYMBaAFGPfzwKvDCNNnsDhPVhsC/QZvzrdMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAKI+CES7LQXZGCj4r2OqYsHm0eeLrBptKc6eiYRRjr0AjapkX55mDT8+/4k0RsCYdCqarUV23C+8scN4RHe0xyGD7bQbpFx78hfDvoTwCJlL5hE1O9IkgMoXE7CtM9smvGbPH8NuTBTQYqJwVFK9CInonSl1dGeFONgk33EO7ieUWbolmsG1xOGZfXwMi/tx9/1zjglN7e0BTjodVqCecRPLWsnJ+nngr+a8E/hjApTfo6I3+I9aEU7iD28Ur/TmZKNb5U6QyH/n1xg60DsIR6926g9pS1p/YAnc1jjibGvXCf9CeiQwSLH9VHvVlyPLD4njNG4nuxm0bjIhuK90hVI=';

const entity = (body: string, attrs = 'entityID="https://idp.example.com/metadata"') => `
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ${attrs}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${body}</md:IDPSSODescriptor>
</md:EntityDescriptor>`;
const key = (use?: string, cert = CERT) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
${cert.match(/.{1,64}/g)?.join('\n')}
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
const sso = (binding: string, location: string) =>
  `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${location}"/>`;

describe('parseIdpMetadata', () => {
  it('reads entity ID, the HTTP-Redirect SSO and SLO endpoints and the signing certificates', async () => {
    const md = await parseIdpMetadata(
      entity(
        key('signing') +
          key('encryption') +
          '<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/slo"/>' +
          sso('HTTP-POST', 'https://idp.example.com/sso/post') +
          sso('HTTP-Redirect', 'https://idp.example.com/sso/redirect'),
      ),
    );
    expect(md).toEqual({
      entityId: 'https://idp.example.com/metadata',
      ssoUrl: 'https://idp.example.com/sso/redirect',
      sloUrl: 'https://idp.example.com/slo',
      certificates: [normalizeCertificate(CERT)],
    });
  });

  it('accepts a key without "use" and an EntitiesDescriptor around one IdP', async () => {
    const md = await parseIdpMetadata(
      `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${entity(key() + sso('HTTP-Redirect', 'https://i/sso'))}</EntitiesDescriptor>`,
    );
    expect(md.certificates).toHaveLength(1);
    expect(md.sloUrl).toBeNull();
  });

  it('names what is missing or wrong', async () => {
    await expect(parseIdpMetadata('<nope')).rejects.toThrow();
    await expect(parseIdpMetadata('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')).rejects.toThrow(/DOCTYPE/);
    await expect(parseIdpMetadata('<x/>')).rejects.toThrow(/IDPSSODescriptor/);
    await expect(
      parseIdpMetadata(entity(key('signing') + sso('HTTP-POST', 'https://i/sso'))),
    ).rejects.toThrow(/HTTP-Redirect/);
    await expect(parseIdpMetadata(entity(sso('HTTP-Redirect', 'https://i/sso')))).rejects.toThrow(
      /certificate/,
    );
    await expect(
      parseIdpMetadata(entity(key('encryption') + sso('HTTP-Redirect', 'https://i/sso'))),
    ).rejects.toThrow(/certificate/);
    await expect(
      parseIdpMetadata(entity(key('signing', 'bm90IGEgY2VydA==') + sso('HTTP-Redirect', 'https://i/sso'))),
    ).rejects.toThrow();
    await expect(parseIdpMetadata(entity(key() + sso('HTTP-Redirect', 'https://i/sso'), ''))).rejects.toThrow(
      /entityID/,
    );
  });
});

describe('normalizeCertificate', () => {
  it('turns a bare base64 body or PEM with odd spacing into one PEM form', () => {
    const pem = normalizeCertificate(CERT);
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(normalizeCertificate(`  ${pem.replace(/\n/g, '\r\n')}  `)).toBe(pem);
    expect(() => normalizeCertificate('-----BEGIN PRIVATE KEY-----abc')).toThrow();
    expect(() => normalizeCertificate('AAAA')).toThrow();
  });
});
