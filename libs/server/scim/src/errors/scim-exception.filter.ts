import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendScimError, toScimError } from '@fdt/server-core';

/**
 * Scoped to the SCIM controllers, so that their errors (guard, pipes, handlers) leave in the
 * SCIM Error schema and never through the global problem+json filter.
 */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ScimExceptionFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    if (toScimError(err).status >= 500) this.logger.error({ err }, 'unhandled SCIM error');
    if (res.headersSent) return;
    sendScimError(err, http.getRequest<Request>(), res);
  }
}
