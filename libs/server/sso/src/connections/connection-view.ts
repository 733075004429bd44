import { X509Certificate } from 'node:crypto';
import type { PlatformConfig } from '@fdt/server-core';
import type { SsoConnection } from '../entities/index.js';
import { spUrls } from '../sp-urls.js';
import type { CertificateInfoDto, ConnectionDto } from './connections.dto.js';

function certificateInfo(pem: string): CertificateInfoDto {
  const c = new X509Certificate(pem);
  return {
    subject: c.subject,
    notAfter: new Date(c.validTo).toISOString(),
    fingerprint256: c.fingerprint256,
  };
}

/** The API view of a connection, with our side's URLs for the IdP's admin; never the secret. */
export function connectionView(config: PlatformConfig, c: SsoConnection): ConnectionDto {
  const urls = spUrls(config, c.id);
  const view: ConnectionDto = {
    id: c.id,
    protocol: c.protocol,
    name: c.name,
    enabled: c.enabled,
    jitEnabled: c.jitEnabled,
    defaultRole: c.defaultRole,
    groupsAttribute: c.groupsAttribute,
    groupRoles: c.groupRoles,
    loginUrl: urls.loginUrl,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
  if (c.protocol === 'saml') {
    view.saml = {
      idpEntityId: c.samlIdpEntityId ?? '',
      ssoUrl: c.samlSsoUrl ?? '',
      sloUrl: c.samlSloUrl,
      certificates: (c.samlIdpCerts ?? []).map(certificateInfo),
      allowIdpInitiated: c.samlAllowIdpInitiated,
      emailAttribute: c.samlEmailAttribute,
      sp: { entityId: urls.entityId, acsUrl: urls.acsUrl, metadataUrl: urls.metadataUrl },
    };
  } else {
    view.oidc = {
      issuer: c.oidcIssuer ?? '',
      clientId: c.oidcClientId ?? '',
      hasClientSecret: Boolean(c.oidcClientSecretSealed),
      clientAuthMethod: c.oidcClientAuthMethod ?? 'client_secret_basic',
      scopes: c.oidcScopes ?? 'openid email profile',
      redirectUri: urls.redirectUri,
    };
  }
  return view;
}
