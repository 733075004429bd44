import { promises as dns } from 'node:dns';
import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AuditModule } from '@fdt/audit';
import { BillingCoreModule } from '@fdt/billing';
import { IdentityModule } from '@fdt/identity';
import { sendProblem } from '@fdt/server-core';
import { ConnectionsController } from './connections/connections.controller.js';
import { ConnectionsService } from './connections/connections.service.js';
import { DNS_TIMEOUT_MS, MAX_SAML_RESPONSE_BYTES, SSO_DNS_RESOLVER } from './constants.js';
import { DomainsController } from './domains/domains.controller.js';
import { DomainsService } from './domains/domains.service.js';
import { TxtVerifier } from './domains/txt-verifier.js';
import { VerifiedEmailDomainsService } from './domains/verified-email-domains.js';
import { SSO_ENTITIES } from './entities/index.js';
import { LoginController } from './login/login.controller.js';
import { SsoFlowService } from './login/sso-flow.service.js';
import { SsoLoginService } from './login/sso-login.service.js';
import { OidcRpService } from './oidc/oidc-rp.service.js';
import { SamlSpService } from './saml/saml-sp.service.js';
import { SessionRevoker } from './sessions/session-revoker.js';
import { SettingsController } from './settings/settings.controller.js';
import { SettingsService } from './settings/settings.service.js';
import { SsoRequirementService } from './settings/sso-requirement.service.js';

// IdPs POST the SAMLResponse as a form; the app's own parser reads only JSON. Parse errors
// answer problem+json like every other body error.
const samlFormParser = express.urlencoded({
  extended: false,
  limit: Math.ceil((MAX_SAML_RESPONSE_BYTES * 4) / 3) + 4096,
});
const parseSamlForm = (req: Request, res: Response, next: NextFunction) =>
  samlFormParser(req, res, (err?: unknown) => (err ? sendProblem(err, req, res) : next()));

/**
 * SAML 2.0 and OpenID Connect single sign-on: connections, verified domains, enforced SSO,
 * and the browser flows that end in an ordinary session.
 */
@Module({
  imports: [TypeOrmModule.forFeature(SSO_ENTITIES), AuditModule, IdentityModule, BillingCoreModule],
  controllers: [ConnectionsController, DomainsController, SettingsController, LoginController],
  providers: [
    ConnectionsService,
    DomainsService,
    TxtVerifier,
    VerifiedEmailDomainsService,
    SettingsService,
    SsoRequirementService,
    SsoLoginService,
    SsoFlowService,
    SamlSpService,
    OidcRpService,
    SessionRevoker,
    { provide: SSO_DNS_RESOLVER, useFactory: () => new dns.Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 }) },
  ],
  exports: [SSO_DNS_RESOLVER],
})
export class SsoModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(parseSamlForm).forRoutes({ path: 'api/v1/sso/saml/*path', method: RequestMethod.POST });
  }
}
