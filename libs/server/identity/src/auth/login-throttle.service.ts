import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig, RATE_LIMITER } from '@fdt/server-core';
import type { RateLimiter } from '@fdt/ports';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';

/**
 * Brute-force protection for password sign-in: failures count per account and per client IP
 * (through the rate-limit port: Redis when scaled, so every api replica sees the same
 * counts). Past the limit, sign-in answers 429 with Retry-After, even with the right password.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  private windows(email: string, ip = 'unknown') {
    const a = this.config.auth;
    return [
      {
        key: `login:acct:${email}`,
        opts: { limit: a.loginMaxFailures, windowSeconds: a.loginLockoutWindow },
      },
      { key: `login:ip:${ip}`, opts: { limit: a.loginIpMaxFailures, windowSeconds: a.loginLockoutWindow } },
    ];
  }

  async assertAllowed(email: string, ip?: string): Promise<void> {
    for (const w of this.windows(email, ip)) {
      const state = await this.limiter.peek(w.key, w.opts);
      if (state.count >= w.opts.limit) {
        const retry = Math.max(1, state.retryAfterSeconds);
        throw new IdentityException(
          IdentityErrorCode.LoginLocked,
          `Too many failed sign-in attempts. Try again in ${retry} seconds, or reset your password.`,
          { 'Retry-After': String(retry) },
        );
      }
    }
  }

  async recordFailure(email: string, ip?: string): Promise<void> {
    for (const w of this.windows(email, ip)) await this.limiter.hit(w.key, w.opts);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.limiter.reset(`login:acct:${email}`);
  }
}
