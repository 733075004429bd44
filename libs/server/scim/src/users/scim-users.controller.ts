import { Body, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type Actor, CurrentActor } from '@fdt/server-core';
import { ScimController } from '../http/scim-controller.decorator.js';
import { versioned } from '../http/respond.js';
import { parseListQuery, parseProjection } from '../listing/list-query.js';
import type { ListResponse } from '../listing/list-response.js';
import { ScimUsersService } from './scim-users.service.js';

type Json = Record<string, unknown>;

@ScimController('Users')
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: Json): Promise<ListResponse<Json>> {
    return this.users.list(actor.orgId, parseListQuery(q));
  }

  @Get(':id')
  async get(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Query() q: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Json> {
    return this.users.project(versioned(res, await this.users.get(a.orgId, id)), parseProjection(q));
  }

  @Post()
  @HttpCode(201)
  async create(
    @CurrentActor() a: Actor,
    @Body() body: unknown,
    @Query() q: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Json> {
    return this.users.project(versioned(res, await this.users.create(a, body), true), parseProjection(q));
  }

  @Put(':id')
  async replace(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() q: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Json> {
    return this.users.project(
      versioned(res, await this.users.replace(a, id, body, ifMatch)),
      parseProjection(q),
    );
  }

  /** 200 with the User (what Okta reads back; Entra accepts 200 or 204). */
  @Patch(':id')
  async patch(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() q: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Json> {
    return this.users.project(
      versioned(res, await this.users.patch(a, id, body, ifMatch)),
      parseProjection(q),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  remove(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.users.remove(a, id, ifMatch);
  }
}
