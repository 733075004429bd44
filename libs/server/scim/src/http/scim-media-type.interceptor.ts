import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { SCIM_MEDIA_TYPE } from '@fdt/server-core';

/** SCIM responses are `application/scim+json` (RFC 7644 §3.1); express keeps a type set before the body. */
@Injectable()
export class ScimMediaTypeInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    ctx.switchToHttp().getResponse<Response>().type(SCIM_MEDIA_TYPE);
    return next.handle();
  }
}
