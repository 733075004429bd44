import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@fdt/audit';
import { AccountsService } from './accounts/accounts.service.js';
import { EmailDomainOwnership } from './accounts/email-domains.js';
import { EmailVerificationController } from './accounts/email-verification.controller.js';
import { EmailVerificationService } from './accounts/email-verification.service.js';
import { PlatformOperators } from './accounts/platform-operators.js';
import { ExternalSignInService } from './auth/external-sign-in.service.js';
import { MailerService } from './mail/mailer.service.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AccessTokenService } from './auth/access-token.service.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottleService } from './auth/login-throttle.service.js';
import { SsoEnforcement } from './auth/sso-enforcement.js';
import { IDENTITY_ENTITIES } from './entities/index.js';
import { AuthGuard } from './guards/auth.guard.js';
import { RateLimitMiddleware } from './guards/rate-limit.middleware.js';
import { MemberAccessHooks } from './lifecycle/member-access-hooks.js';
import { MemberLimits } from './lifecycle/member-limits.js';
import { MembershipLifecycleService } from './lifecycle/membership-lifecycle.service.js';
import { InvitationsController } from './members/invitations.controller.js';
import { InvitationsService } from './members/invitations.service.js';
import { MembersController } from './members/members.controller.js';
import { MembersService } from './members/members.service.js';

/** Orgs, users, memberships and roles, sessions, API keys; the api's global auth guard. */
@Module({
  imports: [TypeOrmModule.forFeature(IDENTITY_ENTITIES), AuditModule],
  controllers: [
    AuthController,
    MembersController,
    ApiKeysController,
    InvitationsController,
    EmailVerificationController,
  ],
  providers: [
    AccessTokenService,
    AuthService,
    LoginThrottleService,
    MembersService,
    InvitationsService,
    ApiKeysService,
    SsoEnforcement,
    MembershipLifecycleService,
    MemberAccessHooks,
    MemberLimits,
    AccountsService,
    EmailDomainOwnership,
    PlatformOperators,
    ExternalSignInService,
    MailerService,
    EmailVerificationService,
    AuthGuard,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [
    AuthService,
    MembersService,
    AuthGuard,
    SsoEnforcement,
    MembershipLifecycleService,
    MemberAccessHooks,
    MemberLimits,
    EmailDomainOwnership,
    PlatformOperators,
    ExternalSignInService,
  ],
})
export class IdentityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RateLimitMiddleware).forRoutes('api/*path', 'scim/*path');
  }
}
