import type { Request } from 'express';

export interface RequestContext {
  ip?: string;
  userAgent?: string;
}

export const requestContext = (req: Request): RequestContext => ({
  ip: req.ip,
  userAgent: req.headers['user-agent']?.slice(0, 512),
});
