import type { PlatformConfig } from '@fdt/server-core';
import {
  loginPath,
  oidcCallbackPath,
  samlAcsPath,
  samlMetadataPath,
  samlSloPath,
  SPA_COMPLETE_PATH,
  SPA_SIGN_IN_PATH,
} from './constants.js';

/**
 * Our side's URLs for one connection, all under FDT_API_PUBLIC_URL. The SP entity ID is the
 * metadata URL: stable for the life of the connection, and resolvable by IdPs that fetch it.
 */
export function spUrls(config: PlatformConfig, connectionId: string) {
  const base = config.api.publicUrl;
  return {
    entityId: base + samlMetadataPath(connectionId),
    metadataUrl: base + samlMetadataPath(connectionId),
    acsUrl: base + samlAcsPath(connectionId),
    sloUrl: base + samlSloPath(connectionId),
    redirectUri: base + oidcCallbackPath(connectionId),
    loginUrl: base + loginPath(connectionId),
  };
}

export const spaCompleteUrl = (config: PlatformConfig) => config.api.publicUrl + SPA_COMPLETE_PATH;

export const spaErrorUrl = (config: PlatformConfig, code: string) =>
  `${config.api.publicUrl}${SPA_SIGN_IN_PATH}?sso_error=${encodeURIComponent(code)}`;

/**
 * FDT_SSO_ALLOW_INSECURE_ISSUERS (default: on only under NODE_ENV=development): http: IdP URLs
 * and OIDC issuers, and OIDC servers on loopback or private addresses (local test IdPs).
 */
export const allowsInsecureIdp = (config: PlatformConfig) => config.sso.allowInsecureIssuers;
