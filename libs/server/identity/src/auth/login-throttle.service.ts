import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig, RATE_LIMITER } from '@fdt/server-core';
import type { RateLimiter } from '@fdt/ports';
import { IdentityErrorCode, IdentityException } from '../identity.errors.js';
import { countLoginFailure } from './login-metrics.js';

/**
 * Brute-force protection for password sign-in: failures count per account and per client IP
 * (through the rate-limit port: Redis when scaled, so every api replica sees the same
 * counts). Past the limit, sign-in answers 429 with Retry-After, even with the right password.
 *
 * Each attempt is counted *before* its password is checked, in one atomic increment: with a
 * check first and a count after the (slow) hash, N concurrent guesses would all pass the
 * check and N passwords would be tried whatever the limit. A success gives its count back.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  private accountKey = (email: string) => `login:acct:${email}`;
  private ipKey = (ip = 'unknown') => `login:ip:${ip}`;

  private opts(limit: number) {
    return { limit, windowSeconds: this.config.auth.loginLockoutWindow };
  }

  /** Counts this attempt against the account and the client IP; refuses it past either limit. */
  async assertAllowed(email: string, ip?: string): Promise<void> {
    const a = this.config.auth;
    const account = await this.limiter.hit(this.accountKey(email), this.opts(a.loginMaxFailures));
    if (!account.allowed) this.locked(account.retryAfterSeconds);
    const byIp = await this.limiter.hit(this.ipKey(ip), this.opts(a.loginIpMaxFailures));
    if (!byIp.allowed) {
      // No password is tried: the account should not pay for the address's lockout.
      await this.limiter.refund(this.accountKey(email));
      this.locked(byIp.retryAfterSeconds);
    }
  }

  /** The attempt was counted by assertAllowed: a failure keeps that count. */
  async recordFailure(_email: string, _ip?: string): Promise<void> {
    countLoginFailure('invalid_credentials');
  }

  /** A success clears the account's failures and, given the IP, returns that attempt's count. */
  async recordSuccess(email: string, ip?: string): Promise<void> {
    await this.limiter.reset(this.accountKey(email));
    if (ip !== undefined) await this.limiter.refund(this.ipKey(ip));
  }

  private locked(retryAfterSeconds: number): never {
    countLoginFailure('locked');
    const retry = Math.max(1, retryAfterSeconds);
    throw new IdentityException(
      IdentityErrorCode.LoginLocked,
      `Too many failed sign-in attempts. Try again in ${retry} seconds, or reset your password.`,
      { 'Retry-After': String(retry) },
    );
  }
}
