import { Body, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type Actor, CurrentActor } from '@fdt/server-core';
import { ScimController } from '../http/scim-controller.decorator.js';
import { versioned } from '../http/respond.js';
import { parseListQuery, parseProjection } from '../listing/list-query.js';
import type { ListResponse } from '../listing/list-response.js';
import { ScimGroupsService } from './scim-groups.service.js';

type Json = Record<string, unknown>;

@ScimController('Groups')
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: Json): Promise<ListResponse<Json>> {
    return this.groups.list(actor.orgId, parseListQuery(q));
  }

  @Get(':id')
  async get(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Query() q: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Json> {
    const p = parseProjection(q);
    return this.groups.project(versioned(res, await this.groups.get(a.orgId, id, p)), p);
  }

  @Post()
  @HttpCode(201)
  async create(
    @CurrentActor() a: Actor,
    @Body() body: unknown,
    @Query() q: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Json> {
    return this.groups.project(versioned(res, await this.groups.create(a, body), true), parseProjection(q));
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
    return this.groups.project(
      versioned(res, await this.groups.replace(a, id, body, ifMatch)),
      parseProjection(q),
    );
  }

  /** 204 with the new ETag: what Entra and Okta expect for group PATCH (member changes can be large). */
  @Patch(':id')
  @HttpCode(204)
  async patch(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    versioned(res, await this.groups.patch(a, id, body, ifMatch));
  }

  @Delete(':id')
  @HttpCode(204)
  remove(
    @CurrentActor() a: Actor,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.groups.remove(a, id, ifMatch);
  }
}
