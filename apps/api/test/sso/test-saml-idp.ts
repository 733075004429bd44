import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import * as validator from '@authenio/samlify-node-xmllint';
import selfsigned from 'selfsigned';

// The parts of samlify's API this IdP uses. samlify is loaded untyped on purpose: its type
// declarations pull in the DOM library (through @xmldom/xmldom), which clashes with Node's
// web-crypto types in the one program that typechecks every test of the workspace.
interface SamlifyEntity {
  getMetadata(): string;
  entityMeta: { getEntityID(): string; getAssertionConsumerService(binding: string): string };
}
export type ServiceProviderInstance = SamlifyEntity;
interface IdentityProviderInstance extends SamlifyEntity {
  parseLoginRequest(
    sp: ServiceProviderInstance,
    binding: 'redirect',
    req: { query: Record<string, string>; octetString: string },
  ): Promise<{ extract: { request?: { id?: string } } }>;
  createLoginResponse(
    sp: ServiceProviderInstance,
    requestInfo: Record<string, unknown>,
    binding: 'post',
    user: Record<string, unknown>,
    options: { customTagReplacement: (template: string) => { id: string; context: string } },
  ): Promise<{ context: string }>;
  createLogoutRequest(
    sp: ServiceProviderInstance,
    binding: 'post',
    user: { logoutNameID: string; sessionIndex?: string },
  ): { context: string; entityEndpoint: string };
}
interface Samlify {
  IdentityProvider(settings: Record<string, unknown>): IdentityProviderInstance;
  ServiceProvider(settings: Record<string, unknown>): ServiceProviderInstance;
  setSchemaValidator(validator: { validate(xml: string): Promise<unknown> }): void;
  Constants: { namespace: { binding: { redirect: string; post: string } } };
}
const samlify = createRequire(import.meta.url)('samlify') as Samlify;

// samlify checks every message against the SAML XSDs with this (libxml2 in WASM), whose
// emscripten runtime prints blank lines to stdout on each run: keep them out of test output.
samlify.setSchemaValidator({
  validate: async (xml: string) => {
    const log = console.log;
    console.log = () => undefined;
    try {
      return await validator.validate(xml);
    } finally {
      console.log = log;
    }
  },
});

export const IDP_ENTITY_ID = 'https://idp.example.test/saml/metadata';
export const IDP_SSO_URL = 'https://idp.example.test/saml/sso';

export interface AssertionOptions {
  /** The AuthnRequest id (SP-initiated); omit for an IdP-initiated response. */
  inResponseTo?: string;
  nameId: string;
  nameIdFormat?: string;
  attributes?: Record<string, string[]>;
  /** Overrides, for negative tests. */
  audience?: string;
  recipient?: string;
  issuer?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** The IdP session, for single logout. */
  sessionIndex?: string;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A SAML 2.0 identity provider built on samlify, with a fresh RSA key and self-signed
 * certificate: it parses our AuthnRequests (schema-validated) and signs responses and
 * assertions for real.
 */
export class TestSamlIdp {
  private constructor(
    readonly idp: IdentityProviderInstance,
    readonly certificate: string,
  ) {}

  static async create(opts: { entityId?: string; ssoUrl?: string } = {}): Promise<TestSamlIdp> {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'Test IdP' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const idp = samlify.IdentityProvider({
      entityID: opts.entityId ?? IDP_ENTITY_ID,
      privateKey: pems.private,
      signingCert: pems.cert,
      wantAuthnRequestsSigned: false,
      singleSignOnService: [
        { Binding: samlify.Constants.namespace.binding.redirect, Location: opts.ssoUrl ?? IDP_SSO_URL },
        { Binding: samlify.Constants.namespace.binding.post, Location: opts.ssoUrl ?? IDP_SSO_URL },
      ],
      singleLogoutService: [
        {
          Binding: samlify.Constants.namespace.binding.redirect,
          Location: `${opts.ssoUrl ?? IDP_SSO_URL}/slo`,
        },
      ],
      nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    });
    return new TestSamlIdp(idp, pems.cert);
  }

  metadata(): string {
    return this.idp.getMetadata();
  }

  /** Our SP as the IdP knows it: from the metadata our API serves; responses signed as a whole too. */
  serviceProvider(spMetadataXml: string, signLogoutRequests = true): ServiceProviderInstance {
    return samlify.ServiceProvider({
      metadata: spMetadataXml,
      wantMessageSigned: true,
      wantLogoutRequestSigned: signLogoutRequests,
    });
  }

  /** Reads the AuthnRequest our SP sent by redirect, as the IdP would; returns its id. */
  async requestIdFrom(sp: ServiceProviderInstance, location: string): Promise<string> {
    const url = new URL(location);
    const parsed = await this.idp.parseLoginRequest(sp, 'redirect', {
      query: Object.fromEntries(url.searchParams),
      octetString: url.search.slice(1),
    });
    const id = parsed.extract.request?.id;
    if (!id) throw new Error('the AuthnRequest has no ID');
    return id;
  }

  /** A signed (response and assertion) SAMLResponse, base64, for the HTTP-POST binding. */
  async response(sp: ServiceProviderInstance, o: AssertionOptions): Promise<string> {
    const acs = sp.entityMeta.getAssertionConsumerService('post');
    const now = new Date();
    const notBefore = (o.notBefore ?? new Date(now.getTime() - 60_000)).toISOString();
    const notOnOrAfter = (o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
    const issuer = esc(o.issuer ?? this.idp.entityMeta.getEntityID());
    const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const id = `_${randomUUID()}`;
    const attrs = Object.entries(o.attributes ?? {})
      .map(
        ([name, values]) =>
          `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${values
            .map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`)
            .join('')}</saml:Attribute>`,
      )
      .join('');
    const xml =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${esc(acs)}"${irt}>` +
      `<saml:Issuer>${issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_${randomUUID()}" Version="2.0" IssueInstant="${now.toISOString()}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${esc(o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress')}">${esc(o.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.recipient ?? acs)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? sp.entityMeta.getEntityID())}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${esc(o.sessionIndex ?? `_${randomUUID()}`)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
      `</saml:Assertion></samlp:Response>`;
    const { context } = await this.idp.createLoginResponse(
      sp,
      {},
      'post',
      {},
      {
        customTagReplacement: () => ({ id, context: xml }),
      },
    );
    return context;
  }
}

/** A LogoutRequest (HTTP-POST binding) from the IdP for this NameID and session, base64. */
export function logoutRequest(
  idp: TestSamlIdp,
  sp: ServiceProviderInstance,
  nameId: string,
  sessionIndex?: string,
) {
  return idp.idp.createLogoutRequest(sp, 'post', { logoutNameID: nameId, sessionIndex }).context;
}

/** Edits a signed SAMLResponse (base64) the way an attacker would: after signing. */
export function tamper(samlResponse: string, from: string, to: string): string {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (!xml.includes(from)) throw new Error(`"${from}" is not in the response`);
  return Buffer.from(xml.split(from).join(to), 'utf8').toString('base64');
}
