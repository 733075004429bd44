import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import {
  AGENT_SESSION_AUDIENCE,
  AGENT_SESSION_TYPE,
  type AgentSessionClaims,
  HandshakeErrorCode,
  HandshakeProblem,
} from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';

export const JWKS_PATH = '/api/v1/.well-known/jwks.json';
// At most one JWKS fetch a second on unknown kids: a flood of bad tokens cannot hammer the api.
const COOLDOWN_MS = 1_000;

/**
 * Verifies agent session tokens offline against the api's JWKS. jose caches the key set and
 * refetches it when a token names a kid it does not know (a rotated key).
 */
@Injectable()
export class TokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {
    this.jwks = createRemoteJWKSet(new URL(`${config.relay.apiUrl}${JWKS_PATH}`), {
      timeoutDuration: 5_000,
      cooldownDuration: COOLDOWN_MS,
      cacheMaxAge: 10 * 60_000,
    });
  }

  async verify(token: string): Promise<AgentSessionClaims> {
    try {
      const payload = await this.verifyOnce(token).catch(async (e: unknown) => {
        // A kid signed just after our last fetch: jose will not refetch during its cooldown;
        // wait it out (at most COOLDOWN_MS) and try once more.
        if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || !this.jwks.coolingDown) throw e;
        await new Promise((r) => setTimeout(r, COOLDOWN_MS));
        return this.verifyOnce(token);
      });
      if (!isClaims(payload)) throw new Error('claims missing');
      return payload;
    } catch (e) {
      const why = (e as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid';
      throw new HandshakeProblem(
        HandshakeErrorCode.AuthFailed,
        `session token ${why}: get a new one from POST /api/v1/agent/sessions (check the authtoken)`,
      );
    }
  }
  private async verifyOnce(token: string): Promise<Record<string, unknown>> {
    const { payload } = await jwtVerify(token, this.jwks, {
      issuer: this.config.api.publicUrl,
      audience: AGENT_SESSION_AUDIENCE,
      typ: AGENT_SESSION_TYPE,
      algorithms: ['EdDSA'],
    });
    return payload;
  }
}

function isClaims(p: Record<string, unknown>): p is Record<string, unknown> & AgentSessionClaims {
  const limits = p.limits as Record<string, unknown> | undefined;
  return (
    typeof p.sub === 'string' &&
    typeof p.org === 'string' &&
    typeof p.sid === 'string' &&
    p.typ === AGENT_SESSION_TYPE &&
    typeof p.region === 'string' &&
    Array.isArray(p.hosts) &&
    p.hosts.every((h) => typeof h?.name === 'string' && typeof h?.host === 'string') &&
    Array.isArray(p.tcpPorts) &&
    p.tcpPorts.every((n) => Number.isInteger(n)) &&
    typeof p.policy === 'object' &&
    p.policy !== null &&
    typeof limits?.maxTunnels === 'number' &&
    typeof limits?.maxConnsPerTunnel === 'number'
  );
}
