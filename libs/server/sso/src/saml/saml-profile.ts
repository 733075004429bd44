import type { Profile } from '@node-saml/passport-saml';

/** The parts of a validated assertion we use (node-saml's xml2js form, prefixes stripped). */
interface XmlNode {
  $?: Record<string, string>;
  _?: string;
  [child: string]: unknown;
}

const children = (node: unknown, name: string): XmlNode[] => {
  const value = (node as XmlNode | undefined)?.[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
};

export interface AssertionFacts {
  id: string | null;
  notOnOrAfter: Date | null;
  /** Recipient of every bearer SubjectConfirmationData. */
  recipients: (string | null)[];
}

export function assertionFacts(profile: Profile): AssertionFacts {
  const root = profile.getAssertion?.() as { Assertion?: XmlNode } | undefined;
  const assertion = root?.Assertion;
  const recipients: (string | null)[] = [];
  let notOnOrAfter: Date | null = null;
  for (const subject of children(assertion, 'Subject')) {
    for (const sc of children(subject, 'SubjectConfirmation')) {
      if (sc.$?.Method !== 'urn:oasis:names:tc:SAML:2.0:cm:bearer') continue;
      const data = children(sc, 'SubjectConfirmationData');
      if (data.length === 0) recipients.push(null);
      for (const d of data) {
        recipients.push(d.$?.Recipient ?? null);
        notOnOrAfter = later(notOnOrAfter, d.$?.NotOnOrAfter);
      }
    }
  }
  for (const c of children(assertion, 'Conditions')) notOnOrAfter = later(notOnOrAfter, c.$?.NotOnOrAfter);
  return { id: assertion?.$?.ID ?? null, notOnOrAfter, recipients };
}

function later(current: Date | null, text: string | undefined): Date | null {
  if (!text) return current;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return current;
  return !current || d > current ? d : current;
}

/** Values of one attribute as strings (single values, lists; nested XML values are skipped). */
export function attributeValues(profile: Profile, name: string): string[] {
  const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
  const value = attrs[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.trim())
    .filter(Boolean);
}

// Where IdPs put the email and display name when no attribute is configured: Okta/Keycloak
// (`email`), Entra ID (claims URIs), LDAP-style (`mail`, the OID).
const EMAIL_ATTRIBUTES = [
  'email',
  'Email',
  'mail',
  'emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
];
const NAME_ATTRIBUTES = [
  'name',
  'displayName',
  'http://schemas.microsoft.com/identity/claims/displayname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const NAMEID_TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const LOOKS_LIKE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function samlEmail(profile: Profile, configured: string | null): string | null {
  if (configured) return attributeValues(profile, configured)[0] ?? null;
  for (const name of EMAIL_ATTRIBUTES) {
    const [v] = attributeValues(profile, name);
    if (v) return v;
  }
  const nameId = profile.nameID;
  if (nameId && (profile.nameIDFormat === NAMEID_EMAIL || LOOKS_LIKE_EMAIL.test(nameId))) return nameId;
  return null;
}

export function samlName(profile: Profile): string | undefined {
  for (const name of NAME_ATTRIBUTES) {
    const [v] = attributeValues(profile, name);
    if (v) return v;
  }
  const given = attributeValues(profile, 'givenName')[0] ?? attributeValues(profile, 'firstName')[0];
  const family = attributeValues(profile, 'sn')[0] ?? attributeValues(profile, 'lastName')[0];
  return [given, family].filter(Boolean).join(' ') || undefined;
}
