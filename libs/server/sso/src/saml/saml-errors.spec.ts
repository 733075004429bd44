import { describe, expect, it } from '@jest/globals';
import { SamlStatusError } from '@node-saml/passport-saml';
import { classifySamlError } from './saml-errors.js';

describe('classifySamlError', () => {
  it.each([
    ['Invalid document signature', 'saml_bad_signature'],
    ['Invalid signature', 'saml_bad_signature'],
    ['SAML assertion audience mismatch. Expected: a Received: b', 'saml_wrong_audience'],
    ['SAML assertion has no AudienceRestriction', 'saml_wrong_audience'],
    ['SAML assertion expired: clocks skewed too much', 'saml_expired'],
    ['SAML assertion not yet valid', 'saml_expired'],
    ['No valid subject confirmation found among those available in the SAML assertion', 'saml_expired'],
    ['InResponseTo is not valid', 'saml_replayed'],
    ['Unknown SAML issuer. Expected: a Received: b', 'saml_wrong_issuer'],
    ['Missing SAML assertion', 'saml_invalid_response'],
  ])('maps node-saml "%s" to %s', (message, code) => {
    expect(classifySamlError(new Error(message)).code).toBe(code);
  });

  it('reports an IdP status as idp_error', () => {
    expect(
      classifySamlError(new SamlStatusError('SAML provider returned Responder error', '<Status/>')).code,
    ).toBe('idp_error');
  });
});
