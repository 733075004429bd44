import { Inject, Injectable } from '@nestjs/common';
import { type Profile, SAML, type SamlConfig, ValidateInResponseTo } from '@node-saml/passport-saml';
import { KV_STORE, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import type { KeyValueStore } from '@fdt/ports';
import {
  ASSERTION_REPLAY_TTL_SECONDS,
  CLOCK_SKEW_MS,
  KV_SAML_ASSERTION,
  KV_SAML_REQUEST,
  LOGIN_FLOW_TTL_SECONDS,
  MAX_GROUPS_CONSIDERED,
  MAX_SAML_RESPONSE_BYTES,
} from '../constants.js';
import type { SsoConnection } from '../entities/index.js';
import type { AssertedIdentity } from '../login/asserted-identity.js';
import { spUrls } from '../sp-urls.js';
import { SsoLoginError, SsoLoginErrorCode as C } from '../sso.errors.js';
import { KvRequestCache } from './kv-request-cache.js';
import { classifySamlError } from './saml-errors.js';
import { assertionFacts, attributeValues, NAMEID_TRANSIENT, samlEmail, samlName } from './saml-profile.js';
import { attr, children, parseXml, text } from './xml.js';

/**
 * Our SAML 2.0 service provider, one per connection. We use node-saml's `SAML` class (the
 * engine of @node-saml/passport-saml) directly rather than a passport Strategy: the strategy
 * wants one configuration per strategy instance and reports results through passport's
 * success/fail callbacks and req.login(), while each of our requests picks its connection from
 * the URL and must answer with our own redirects, audit events and session cookie. The
 * validation (signatures, conditions, audience, InResponseTo) is the library's.
 */
@Injectable()
export class SamlSpService {
  constructor(
    @Inject(KV_STORE) private readonly kv: KeyValueStore,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  private saml(conn: SsoConnection, validateInResponseTo: ValidateInResponseTo): SAML {
    const urls = spUrls(this.config, conn.id);
    const options: SamlConfig = {
      callbackUrl: urls.acsUrl,
      entryPoint: conn.samlSsoUrl ?? undefined,
      issuer: urls.entityId,
      audience: urls.entityId,
      idpCert: conn.samlIdpCerts ?? [],
      idpIssuer: conn.samlIdpEntityId ?? undefined,
      wantAuthnResponseSigned: true,
      wantAssertionsSigned: true,
      validateInResponseTo,
      requestIdExpirationPeriodMs: LOGIN_FLOW_TTL_SECONDS * 1000,
      cacheProvider: new KvRequestCache(this.kv, `${KV_SAML_REQUEST}${conn.id}:`, LOGIN_FLOW_TTL_SECONDS),
      acceptedClockSkewMs: CLOCK_SKEW_MS,
      // Let the IdP pick the NameID format and the authentication method (a requested
      // PasswordProtectedTransport context makes Entra ID refuse MFA and passwordless sign-ins).
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      signatureAlgorithm: 'sha256',
      // Single logout: the IdP's LogoutRequests come to our SLO URL; our answers go to theirs.
      logoutCallbackUrl: conn.samlSloUrl ? urls.sloUrl : undefined,
      logoutUrl: conn.samlSloUrl ?? undefined,
    };
    return new SAML(options);
  }

  /** Our SP metadata for the IdP's admin: entity ID, ACS (HTTP-POST), NameID, signing wishes. */
  metadata(conn: SsoConnection): string {
    return this.saml(conn, ValidateInResponseTo.always).generateServiceProviderMetadata(null, null);
  }

  /** Where to send the browser for SP-initiated sign-in; the request id waits in the shared cache. */
  authorizeUrl(conn: SsoConnection): Promise<string> {
    return this.saml(conn, ValidateInResponseTo.always).getAuthorizeUrlAsync('', undefined, {});
  }

  /**
   * Validates a SAMLResponse posted to our ACS: both signatures, conditions and subject
   * confirmation times (with a small clock skew), audience, issuer, recipient/destination,
   * InResponseTo against the shared cache (SP-initiated) and, for every response, that the
   * assertion id was not seen before.
   */
  async validate(conn: SsoConnection, samlResponse: string): Promise<AssertedIdentity> {
    if (samlResponse.length > (MAX_SAML_RESPONSE_BYTES * 4) / 3 + 4) {
      throw new SsoLoginError(C.SamlInvalidResponse, 'the SAMLResponse is too large');
    }
    const urls = spUrls(this.config, conn.id);
    let parsed;
    try {
      parsed = await parseXml(Buffer.from(samlResponse, 'base64').toString('utf8'));
    } catch (e) {
      throw new SsoLoginError(C.SamlInvalidResponse, `the SAMLResponse is not XML: ${(e as Error).message}`);
    }
    if (parsed.name !== 'Response') {
      throw new SsoLoginError(C.SamlInvalidResponse, `expected a samlp:Response, got ${parsed.name}`);
    }
    const root = parsed.root;
    // SP-initiated responses name our request; IdP-initiated ones name none. The attribute is
    // covered by the response signature, which node-saml requires, so it cannot be stripped.
    const inResponseTo = attr(root, 'InResponseTo');
    if (!inResponseTo && !conn.samlAllowIdpInitiated) {
      throw new SsoLoginError(
        C.SamlIdpInitiatedDisabled,
        'unsolicited (IdP-initiated) response, and this connection accepts only SP-initiated sign-in',
      );
    }
    const mode = inResponseTo ? ValidateInResponseTo.always : ValidateInResponseTo.never;
    let profile;
    try {
      ({ profile } = await this.saml(conn, mode).validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (e) {
      throw classifySamlError(e);
    }
    if (!profile) throw new SsoLoginError(C.SamlInvalidResponse, 'the response carries no assertion');
    // node-saml read InResponseTo with its own parser; both readings must agree.
    if (!inResponseTo && profile.inResponseTo) {
      throw new SsoLoginError(C.SamlInvalidResponse, 'the response is read differently by two XML parsers');
    }

    const responseIssuer = text(children(root, 'Issuer')[0]) || null;
    if (
      profile.issuer !== conn.samlIdpEntityId ||
      (responseIssuer && responseIssuer !== conn.samlIdpEntityId)
    ) {
      throw new SsoLoginError(
        C.SamlWrongIssuer,
        `issuer ${profile.issuer ?? '(none)'} is not the connection's IdP ${conn.samlIdpEntityId}`,
      );
    }
    const destination = attr(root, 'Destination');
    if (destination !== null && destination !== urls.acsUrl) {
      throw new SsoLoginError(C.SamlWrongRecipient, `Destination ${destination} is not ${urls.acsUrl}`);
    }
    const facts = assertionFacts(profile);
    if (facts.recipients.length === 0 || facts.recipients.some((r) => r !== urls.acsUrl)) {
      throw new SsoLoginError(
        C.SamlWrongRecipient,
        `bearer SubjectConfirmationData Recipient ${facts.recipients.join(', ') || '(none)'} is not ${urls.acsUrl}`,
      );
    }
    if (!facts.id) throw new SsoLoginError(C.SamlInvalidResponse, 'the assertion has no ID');
    await this.rememberAssertion(conn, facts.id, facts.notOnOrAfter);

    const transient = profile.nameIDFormat === NAMEID_TRANSIENT;
    return {
      subject: transient || !profile.nameID ? null : profile.nameID,
      email: samlEmail(profile, conn.samlEmailAttribute),
      emailVerified: true,
      name: samlName(profile),
      groups: attributeValues(profile, conn.groupsAttribute).slice(0, MAX_GROUPS_CONSIDERED),
      saml: {
        nameId: profile.nameID,
        nameIdFormat: profile.nameIDFormat ?? null,
        sessionIndex: profile.sessionIndex ?? null,
      },
    };
  }

  /**
   * Validates an IdP-initiated LogoutRequest: HTTP-POST (as our metadata advertises; the XML
   * must carry a valid signature) or HTTP-Redirect (the query must be signed: node-saml would
   * accept an unsigned one, and then anyone could sign our users out).
   */
  async logoutRequest(
    conn: SsoConnection,
    message:
      | { binding: 'post'; body: Record<string, string> }
      | { binding: 'redirect'; query: Record<string, string>; rawQuery: string },
  ): Promise<{ nameId: string; sessionIndex: string | null; profile: Profile }> {
    if (!conn.samlSloUrl) throw new SsoLoginError(C.SamlInvalidResponse, 'single logout is not configured');
    const fields = message.binding === 'post' ? message.body : message.query;
    if (!fields.SAMLRequest) throw new SsoLoginError(C.SamlInvalidResponse, 'no SAMLRequest');
    if (message.binding === 'redirect' && (!fields.Signature || !fields.SigAlg)) {
      throw new SsoLoginError(C.SamlBadSignature, 'the LogoutRequest is not signed');
    }
    const saml = this.saml(conn, ValidateInResponseTo.never);
    let profile: Profile | null;
    try {
      ({ profile } =
        message.binding === 'post'
          ? await saml.validatePostRequestAsync({ SAMLRequest: fields.SAMLRequest })
          : await saml.validateRedirectAsync(message.query, message.rawQuery));
    } catch (e) {
      throw classifySamlError(e);
    }
    if (!profile?.nameID) throw new SsoLoginError(C.SamlInvalidResponse, 'the LogoutRequest names nobody');
    if (profile.issuer !== conn.samlIdpEntityId) {
      throw new SsoLoginError(C.SamlWrongIssuer, `issuer ${profile.issuer} is not ${conn.samlIdpEntityId}`);
    }
    return { nameId: profile.nameID, sessionIndex: profile.sessionIndex ?? null, profile };
  }

  /** Where to send the browser with our LogoutResponse (to the IdP's SLO URL). */
  logoutResponseUrl(conn: SsoConnection, profile: Profile, relayState: string): Promise<string> {
    return this.saml(conn, ValidateInResponseTo.never).getLogoutResponseUrlAsync(
      profile,
      relayState,
      {},
      true,
    );
  }

  /** One use per assertion, atomically across replicas, until it could no longer be accepted. */
  private async rememberAssertion(conn: SsoConnection, id: string, notOnOrAfter: Date | null): Promise<void> {
    const { min, max } = ASSERTION_REPLAY_TTL_SECONDS;
    const untilExpiry = notOnOrAfter ? (notOnOrAfter.getTime() + CLOCK_SKEW_MS - Date.now()) / 1000 : max;
    const ttl = Math.min(max, Math.max(min, Math.ceil(untilExpiry)));
    const key = `${KV_SAML_ASSERTION}${conn.id}:${id.slice(0, 256)}`;
    if (!(await this.kv.setIfAbsent(key, '1', ttl))) {
      throw new SsoLoginError(C.SamlReplayed, `assertion ${id} was already used`);
    }
  }
}
