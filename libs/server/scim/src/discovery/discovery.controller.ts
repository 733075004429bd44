import { All, Get, Inject, Param } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { SCIM_ROUTE } from '../constants.js';
import { scimNotFound } from '../errors/scim.exception.js';
import { ScimController } from '../http/scim-controller.decorator.js';
import { listResponse } from '../listing/list-response.js';
import { resourceTypes, schemaResources, serviceProviderConfig } from './schemas.js';

/** RFC 7644 §4 discovery: what this service supports, for IdPs and validators. */
@ScimController()
export class ScimDiscoveryController {
  private readonly baseUrl: string;

  constructor(@Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    this.baseUrl = `${config.api.publicUrl}/${SCIM_ROUTE}`;
  }

  @Get('ServiceProviderConfig')
  config(): unknown {
    return serviceProviderConfig(this.baseUrl);
  }

  @Get('ResourceTypes')
  resourceTypes(): unknown {
    const all = resourceTypes(this.baseUrl);
    return listResponse(all, all.length, 1);
  }

  @Get('ResourceTypes/:id')
  resourceType(@Param('id') id: string): unknown {
    const found = resourceTypes(this.baseUrl).find((t) => t.id.toLowerCase() === id.toLowerCase());
    if (!found) throw scimNotFound('Resource', id);
    return found;
  }

  @Get('Schemas')
  schemas(): unknown {
    const all = schemaResources(this.baseUrl);
    return listResponse(all, all.length, 1);
  }

  @Get('Schemas/:id')
  schema(@Param('id') id: string): unknown {
    const found = schemaResources(this.baseUrl).find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!found) throw scimNotFound('Resource', id);
    return found;
  }
}

/** Registered last: any other path under /scim/v2 (e.g. /Bulk, /Me) is a SCIM 404, not problem+json. */
@ScimController()
export class ScimNotFoundController {
  @All(['', '*path'])
  notFound(): never {
    throw scimNotFound('Resource');
  }
}
