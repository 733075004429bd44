import { SsoConnection } from './sso-connection.entity.js';
import { SsoDomain } from './sso-domain.entity.js';
import { SsoIdentity } from './sso-identity.entity.js';
import { SsoSession } from './sso-session.entity.js';
import { SsoSettings } from './sso-settings.entity.js';

export * from './sso-connection.entity.js';
export { SsoDomain, SsoIdentity, SsoSession, SsoSettings };
export const SSO_ENTITIES = [SsoConnection, SsoDomain, SsoSettings, SsoIdentity, SsoSession];
