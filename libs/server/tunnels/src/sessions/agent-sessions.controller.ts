import { Body, Controller, Get, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { KeyRingService, Public } from '@fdt/server-core';
import { type AgentSessionDto, CreateAgentSessionDto } from '../tunnels.dto.js';
import { AgentSessionsService } from './agent-sessions.service.js';

@ApiTags('agent')
@Controller('api/v1')
export class AgentSessionsController {
  constructor(
    private readonly sessions: AgentSessionsService,
    private readonly keys: KeyRingService,
  ) {}

  /** `Authorization: Bearer <authtoken>`: the agent's own credential, not a user session. */
  @Public()
  @ApiBearerAuth()
  @Post('agent/sessions')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  async create(
    @Headers('authorization') authorization: string | undefined,
    @Body() dto: CreateAgentSessionDto,
  ): Promise<AgentSessionDto> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const s = await this.sessions.exchange(bearer, { region: dto.region });
    return { token: s.token, expiresAt: s.expiresAt, relay: s.relay, account: s.account };
  }

  @Public()
  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks() {
    return this.keys.jwks();
  }
}
