import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import {
  type Actor,
  Authenticated,
  CurrentActor,
  PLATFORM_CONFIG,
  type PlatformConfig,
  Public,
} from '@fdt/server-core';
import { PlatformOperators } from '../accounts/platform-operators.js';
import { Org, User } from '../entities/index.js';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { requestContext } from '../request-context.js';
import { ROLE_PERMISSIONS } from '../role-permissions.js';
import { LoginDto, MeDto, SessionResponseDto, SignupDto } from './auth.dto.js';
import { AuthService, type SignedIn } from './auth.service.js';
import { REFRESH_COOKIE, refreshCookieOptions, setRefreshCookie } from './refresh-cookie.js';

@ApiTags('auth')
@Controller('api/v1')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly operators: PlatformOperators,
  ) {}

  private respond(res: Response, s: SignedIn): SessionResponseDto {
    setRefreshCookie(res, this.config, s);
    res.setHeader('Cache-Control', 'no-store');
    return {
      accessToken: s.accessToken,
      tokenType: 'Bearer',
      expiresIn: s.expiresIn,
      user: { id: s.user.id, email: s.user.email, name: s.user.name },
      org: { id: s.org.id, name: s.org.name, slug: s.org.slug },
      role: s.role,
    };
  }

  @Public()
  @Post('auth/login')
  @ApiOkResponse({ type: SessionResponseDto })
  @HttpCode(200)
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionResponseDto> {
    return this.respond(res, await this.auth.login(dto, requestContext(req)));
  }

  @Public()
  @Post('auth/signup')
  @ApiCreatedResponse({ type: SessionResponseDto })
  async signup(
    @Body() dto: SignupDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionResponseDto> {
    if (!this.config.signupEnabled) {
      throw new IdentityException(
        IdentityErrorCode.SignupDisabled,
        'Sign-up is disabled on this server; ask an org admin to add you.',
      );
    }
    await this.auth.createOrgWithOwner(dto, requestContext(req));
    return this.respond(
      res,
      await this.auth.login({ email: dto.email, password: dto.password }, requestContext(req)),
    );
  }

  /** Rotates the refresh cookie and returns a new access token. */
  @Public()
  @Post('auth/refresh')
  @ApiOkResponse({ type: SessionResponseDto })
  @HttpCode(200)
  async refresh(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponseDto> {
    try {
      return this.respond(res, await this.auth.refresh(req.cookies?.[REFRESH_COOKIE]));
    } catch (e) {
      res.clearCookie(REFRESH_COOKIE, refreshCookieOptions(this.config));
      throw e;
    }
  }

  @ApiBearerAuth()
  @Authenticated()
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(actor, actor.sessionId);
    res.clearCookie(REFRESH_COOKIE, refreshCookieOptions(this.config));
  }

  @ApiBearerAuth()
  @Authenticated()
  @Get('me')
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentActor() actor: Actor): Promise<MeDto> {
    const user = actor.userId
      ? await this.ds.getRepository(User).findOneByOrFail({ id: actor.userId })
      : undefined;
    const org = await this.ds.getRepository(Org).findOneByOrFail({ id: actor.orgId });
    return {
      user: { id: user?.id ?? '', email: user?.email ?? '', name: user?.name ?? '' },
      org: { id: org.id, name: org.name, slug: org.slug },
      role: actor.role,
      via: actor.type,
      permissions: [...ROLE_PERMISSIONS[actor.role]].sort(),
      platformOperator: await this.operators.isOperator(actor),
    };
  }
}
