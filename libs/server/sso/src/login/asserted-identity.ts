/** Who the IdP says signed in, after the protocol checks passed. */
export interface AssertedIdentity {
  /** Stable id at the IdP (NameID, `sub`); null when it cannot identify the user twice (transient). */
  subject: string | null;
  email: string | null;
  /** false only when the IdP says the email is not verified (OIDC `email_verified: false`). */
  emailVerified: boolean;
  name?: string;
  groups: string[];
  /** For SAML single logout. */
  saml?: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null };
}
