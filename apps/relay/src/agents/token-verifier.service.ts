import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
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
 * A kid still unknown after a fresh fetch is refused outright for this long: tokens naming it
 * neither refetch the JWKS nor wait out the cooldown (the api publishes a key before it signs
 * with it, so a genuine new kid is found by the first fetch).
 */
const UNKNOWN_KID_TTL_MS = 15_000;
const MAX_UNKNOWN_KIDS = 10_000;

/**
 * Verifies agent session tokens offline against the api's JWKS. jose caches the key set and
 * refetches it when a token names a kid it does not know (a rotated key).
 */
@Injectable()
export class TokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  /** kid -> Date.now() until which it is refused without a fetch */
  private readonly unknownKids = new Map<string, number>();
  /** one wait-and-retry per unknown kid, shared by the handshakes that name it meanwhile */
  private readonly retries = new Map<string, Promise<void>>();

  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {
    this.jwks = createRemoteJWKSet(new URL(`${config.relay.apiUrl}${JWKS_PATH}`), {
      timeoutDuration: 5_000,
      cooldownDuration: COOLDOWN_MS,
      cacheMaxAge: 10 * 60_000,
    });
  }

  async verify(token: string): Promise<AgentSessionClaims> {
    try {
      const kid = kidOf(token);
      if (kid !== undefined && this.knownUnknown(kid)) throw new Error('unknown kid');
      // Not cooling down: jose refetches by itself when the kid is missing, so a miss is final.
      const coolingDown = this.jwks.coolingDown;
      const payload = await this.verifyOnce(token).catch(async (e: unknown) => {
        if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e;
        if (!coolingDown) {
          if (kid !== undefined) this.rememberUnknown(kid);
          throw e;
        }
        // A kid signed just after our last fetch: jose will not refetch during its cooldown;
        // wait it out (at most COOLDOWN_MS) and try once more. Still unknown: remember that.
        if (kid !== undefined) await this.waitOutCooldown(kid);
        return this.verifyOnce(token).catch((again: unknown) => {
          if (kid !== undefined && (again as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY')
            this.rememberUnknown(kid);
          throw again;
        });
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
  private knownUnknown(kid: string): boolean {
    const until = this.unknownKids.get(kid);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.unknownKids.delete(kid);
    return false;
  }

  private rememberUnknown(kid: string): void {
    this.unknownKids.delete(kid);
    this.unknownKids.set(kid, Date.now() + UNKNOWN_KID_TTL_MS);
    if (this.unknownKids.size > MAX_UNKNOWN_KIDS) {
      const oldest = this.unknownKids.keys().next().value;
      if (oldest !== undefined) this.unknownKids.delete(oldest);
    }
  }

  private waitOutCooldown(kid: string): Promise<void> {
    let p = this.retries.get(kid);
    if (!p) {
      p = new Promise<void>((r) => setTimeout(r, COOLDOWN_MS)).finally(() => this.retries.delete(kid));
      this.retries.set(kid, p);
    }
    return p;
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

function kidOf(token: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid.slice(0, 256) : undefined;
  } catch {
    return undefined;
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
