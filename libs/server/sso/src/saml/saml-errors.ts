import { SamlStatusError } from '@node-saml/passport-saml';
import { SsoLoginError, SsoLoginErrorCode as C } from '../sso.errors.js';

// node-saml reports everything as Error with a message; these are its messages (v5) mapped to
// our stable codes. Anything unrecognised is an invalid response, never a success.
const RULES: [RegExp, (typeof C)[keyof typeof C]][] = [
  [/signature/i, C.SamlBadSignature],
  [/audience|AudienceRestriction/i, C.SamlWrongAudience],
  [/expired|not yet valid|No valid subject confirmation/i, C.SamlExpired],
  [/InResponseTo is not valid|SubjectInResponseTo is not valid/i, C.SamlReplayed],
  [/InResponseTo is missing/i, C.SamlIdpInitiatedDisabled],
  [/issuer/i, C.SamlWrongIssuer],
];

export function classifySamlError(err: unknown): SsoLoginError {
  if (err instanceof SsoLoginError) return err;
  if (err instanceof SamlStatusError) return new SsoLoginError(C.IdpError, err.message);
  const message = err instanceof Error ? err.message : String(err);
  for (const [pattern, code] of RULES) if (pattern.test(message)) return new SsoLoginError(code, message);
  return new SsoLoginError(C.SamlInvalidResponse, message);
}
