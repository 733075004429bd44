import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { requestContext, setRefreshCookie } from '@fdt/identity';
import { PLATFORM_CONFIG, type PlatformConfig, Public } from '@fdt/server-core';
import { LOGIN_FLOW_TTL_SECONDS, OIDC_FLOW_COOKIE } from '../constants.js';
import { DiscoverDto, DiscoverResultDto } from './login.dto.js';
import { type BrowserStep, SsoFlowService } from './sso-flow.service.js';

/** The public SSO routes: discovery, sign-in start, SAML metadata and ACS, OIDC callback. */
@ApiTags('sso')
@Controller('api/v1/sso')
export class LoginController {
  constructor(
    private readonly flow: SsoFlowService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  @Public()
  @Post('discover')
  @ApiOkResponse({ type: DiscoverResultDto })
  @HttpCode(200)
  discover(@Body() dto: DiscoverDto, @Req() req: Request): Promise<DiscoverResultDto> {
    return this.flow.discover(dto.email, req.ip);
  }

  @Public()
  @Get('login/:connectionId')
  async start(
    @Param('connectionId') id: string,
    @Query('login_hint') loginHint: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const hint = typeof loginHint === 'string' ? loginHint : undefined;
    this.send(
      res,
      await this.flow.start(id, { loginHint: hint, flowCookie: req.cookies?.[OIDC_FLOW_COOKIE] }),
    );
  }

  @Public()
  @Get('saml/:connectionId/metadata')
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  samlMetadata(@Param('connectionId') id: string): Promise<string> {
    return this.flow.samlMetadata(id);
  }

  @Public()
  @Post('saml/:connectionId/acs')
  async acs(@Param('connectionId') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(res, await this.flow.acs(id, req.body, requestContext(req)));
  }

  /** SAML single logout from the IdP: HTTP-POST (what our metadata advertises) or HTTP-Redirect. */
  @Public()
  @Post('saml/:connectionId/slo')
  async sloPost(@Param('connectionId') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = stringFields(req.body);
    this.send(res, await this.flow.samlLogout(id, { binding: 'post', body }, requestContext(req)));
  }

  @Public()
  @Get('saml/:connectionId/slo')
  async sloRedirect(
    @Param('connectionId') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const rawQuery = req.originalUrl.split('?')[1] ?? '';
    const query = Object.fromEntries(new URLSearchParams(rawQuery));
    this.send(
      res,
      await this.flow.samlLogout(id, { binding: 'redirect', query, rawQuery }, requestContext(req)),
    );
  }

  @Public()
  @Get('oidc/:connectionId/callback')
  async oidcCallback(
    @Param('connectionId') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    this.send(
      res,
      await this.flow.oidcCallback(id, query, req.cookies?.[OIDC_FLOW_COOKIE], requestContext(req)),
    );
  }

  private send(res: Response, step: BrowserStep): void {
    res.setHeader('Cache-Control', 'no-store');
    if (step.flowCookie) {
      res.cookie(OIDC_FLOW_COOKIE, step.flowCookie, {
        httpOnly: true,
        // Lax: sent on the IdP's top-level redirect back to our callback, not on cross-site posts.
        sameSite: 'lax',
        secure: this.config.auth.cookieSecure,
        path: '/api/v1/sso',
        maxAge: LOGIN_FLOW_TTL_SECONDS * 1000,
      });
    }
    if (step.session) setRefreshCookie(res, this.config, step.session);
    res.redirect(302, step.redirect);
  }
}

/** The string fields of a parsed form body (anything else is ignored). */
function stringFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
