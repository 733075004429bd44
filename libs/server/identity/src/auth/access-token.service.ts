import { Inject, Injectable } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { KeyRingService, PLATFORM_CONFIG, type PlatformConfig, type Role } from '@fdt/server-core';

export const ACCESS_AUDIENCE = 'fdt-api';
export const ACCESS_TYPE = 'at+jwt';

export interface AccessClaims {
  sub: string;
  org: string;
  sid: string;
  role: Role;
}

/** Short-lived access JWTs (EdDSA, the api's key ring). The role is re-read on every request. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly keys: KeyRingService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async issue(claims: AccessClaims): Promise<{ accessToken: string; expiresIn: number }> {
    const ttl = this.config.auth.accessTokenTtl;
    const accessToken = await this.keys.sign(
      { ...claims },
      { audience: ACCESS_AUDIENCE, ttlSeconds: ttl, type: ACCESS_TYPE },
    );
    return { accessToken, expiresIn: ttl };
  }

  verify(token: string): Promise<AccessClaims> {
    return this.keys.verify<AccessClaims & JWTPayload>(token, {
      audience: ACCESS_AUDIENCE,
      type: ACCESS_TYPE,
    });
  }
}
