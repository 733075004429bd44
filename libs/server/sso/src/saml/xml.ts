import { X509Certificate } from 'node:crypto';
import xml2js from 'xml2js';

/**
 * An element as xml2js gives it with our options: attributes under `$`, text under `_`,
 * children by local name (namespace prefixes stripped), always as arrays.
 */
export interface XmlElement {
  $?: Record<string, string>;
  _?: string;
  [child: string]: XmlElement[] | Record<string, string> | string | undefined;
}

/**
 * Parses XML we received (IdP metadata, a SAMLResponse before validation) into its root
 * element's name and content. A DOCTYPE is refused outright: SAML never needs one, and it is
 * how entity-expansion attacks start. (xml2js rather than a DOM: its types stay out of the
 * DOM library, which would clash with Node's own web types elsewhere in the workspace.)
 */
export async function parseXml(xml: string): Promise<{ name: string; root: XmlElement }> {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('XML with a DOCTYPE is not accepted');
  const doc = (await xml2js.parseStringPromise(xml, {
    explicitRoot: true,
    explicitArray: true,
    explicitCharkey: true,
    tagNameProcessors: [xml2js.processors.stripPrefix],
    strict: true,
  })) as Record<string, XmlElement> | null;
  const [name] = Object.keys(doc ?? {});
  if (!doc || !name) throw new Error('the document is empty');
  return { name, root: doc[name] };
}

/** The child elements named `name` (local name). */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  const value = el?.[name];
  return Array.isArray(value) ? value : [];
}

export const attr = (el: XmlElement | undefined, name: string): string | null => el?.$?.[name] ?? null;
export const text = (el: XmlElement | undefined): string => el?._?.trim() ?? '';

/**
 * A PEM certificate from PEM text or a bare base64 body (how metadata and most IdP consoles
 * give it). Throws when it is not an X.509 certificate.
 */
export function normalizeCertificate(input: string): string {
  const body = input.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Error('the certificate is not base64 or PEM');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
  new X509Certificate(pem); // throws on anything that is not a certificate
  return pem;
}
