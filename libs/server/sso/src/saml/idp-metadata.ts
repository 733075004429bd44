import { attr, children, normalizeCertificate, parseXml, text, type XmlElement } from './xml.js';

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  sloUrl: string | null;
  certificates: string[];
}

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

const endpoint = (idp: XmlElement, element: string) =>
  children(idp, element).find((e) => attr(e, 'Binding') === REDIRECT)?.$?.Location ?? null;

/**
 * Reads what we need from an IdP's SAML metadata document: its entity ID, the SSO endpoint
 * (HTTP-Redirect binding, which is how we send AuthnRequests), the optional SLO endpoint and
 * the signing certificates. Errors name what is missing.
 */
export async function parseIdpMetadata(xml: string): Promise<IdpMetadata> {
  const { name, root } = await parseXml(xml);
  const entities =
    name === 'EntityDescriptor'
      ? [root]
      : name === 'EntitiesDescriptor'
        ? children(root, 'EntityDescriptor')
        : [];
  const idps = entities.filter((e) => children(e, 'IDPSSODescriptor').length > 0);
  if (idps.length === 0) throw new Error('no EntityDescriptor with an IDPSSODescriptor');
  if (idps.length > 1)
    throw new Error('the document describes several identity providers; paste the metadata of one');
  const entity = idps[0];
  const entityId = attr(entity, 'entityID');
  if (!entityId) throw new Error('the EntityDescriptor has no entityID');
  const [idp] = children(entity, 'IDPSSODescriptor');
  const ssoUrl = endpoint(idp, 'SingleSignOnService');
  if (!ssoUrl) {
    throw new Error(
      'no SingleSignOnService with the HTTP-Redirect binding (fdt sends AuthnRequests by redirect)',
    );
  }
  const certificates = new Set<string>();
  for (const kd of children(idp, 'KeyDescriptor')) {
    const use = attr(kd, 'use');
    if (use && use !== 'signing') continue;
    for (const ki of children(kd, 'KeyInfo')) {
      for (const data of children(ki, 'X509Data')) {
        for (const cert of children(data, 'X509Certificate'))
          certificates.add(normalizeCertificate(text(cert)));
      }
    }
  }
  if (certificates.size === 0) throw new Error('no signing certificate (KeyDescriptor use="signing")');
  return { entityId, ssoUrl, sloUrl: endpoint(idp, 'SingleLogoutService'), certificates: [...certificates] };
}
