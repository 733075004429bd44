import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PLATFORM_CONFIG, type PlatformConfig, RATE_LIMITER, sendProblem } from '@fdt/server-core';
import type { RateLimiter } from '@fdt/ports';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';

/**
 * A per-client-IP request budget for the REST and SCIM routes, counted through the
 * rate-limit port (Redis when scaled, so the budget holds across replicas). Answers 429 with
 * Retry-After and the draft-ietf-httpapi-ratelimit-headers fields.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const limit = this.config.auth.rateLimitPerMinute;
    try {
      const r = await this.limiter.hit(`api:ip:${req.ip ?? 'unknown'}`, { limit, windowSeconds: 60 });
      res.setHeader('RateLimit-Limit', String(limit));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, r.remaining)));
      if (!r.allowed) {
        const retry = String(Math.max(1, r.retryAfterSeconds));
        res.setHeader('RateLimit-Reset', retry);
        return sendProblem(
          new IdentityException(
            IdentityErrorCode.RateLimited,
            `Too many requests; retry in ${retry} seconds.`,
            { 'Retry-After': retry },
          ),
          req,
          res,
        );
      }
    } catch {
      // The limiter's store being down must not take the api down with it: fail open.
    }
    next();
  }
}
