import { applyDecorators, Controller, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@fdt/server-core';
import { SCIM_ROUTE } from '../constants.js';
import { ScimExceptionFilter } from '../errors/scim-exception.filter.js';
import { ScimMediaTypeInterceptor } from './scim-media-type.interceptor.js';
import { ScimTokenGuard } from './scim-token.guard.js';

/**
 * A controller of the SCIM service at /scim/v2/<path>. It is @Public() to the api's session
 * guard because it has its own: the SCIM token guard, which admits only the org's SCIM
 * tokens. Errors leave through the SCIM filter (SCIM Error schema), bodies as
 * application/scim+json; the routes stay out of the REST OpenAPI document.
 */
export const ScimController = (path = '') =>
  applyDecorators(
    Controller(path ? `${SCIM_ROUTE}/${path}` : SCIM_ROUTE),
    ApiExcludeController(),
    Public(),
    UseGuards(ScimTokenGuard),
    UseFilters(ScimExceptionFilter),
    UseInterceptors(ScimMediaTypeInterceptor),
  );
