import { createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyOptions,
  SignJWT,
  createLocalJWKSet,
  type JSONWebKeySet,
} from 'jose';
import { DataSource, MoreThan } from 'typeorm';
import { PLATFORM_CONFIG } from '../config/config.module.js';
import type { PlatformConfig } from '../config/platform-config.js';
import { open, seal } from './secret-box.js';
import { SigningKey } from './signing-key.entity.js';

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, string>;
  rotateAt: Date;
  expiresAt: Date;
}

const KEY_LOCK = 0x66_64_74_6b; // 'fdtk'
const CACHE_MS = 30_000;
// The JWKS must publish a key another replica just minted: relays fetch it on an unknown kid.
const JWKS_MAX_AGE_MS = 1_000;
// A token with a kid we do not hold costs a reload (a query, and opening every private key):
// right for a key another replica just minted, wrong for each of an attacker's made-up kids.
// Kids still unknown after a reload are refused without one for a while, and reloads for
// unknown kids are rationed: a burst, then one a second.
const UNKNOWN_KID_TTL_MS = 60_000;
const UNKNOWN_KIDS_MAX = 1024;
const MISS_RELOAD_BURST = 5;
const MISS_RELOADS_PER_SECOND = 1;

/**
 * The api's signing keys. The newest unexpired key signs; older keys stay in the JWKS until
 * every token they signed has expired, so rotation never invalidates a live token. Replicas
 * share the keys through the database; an advisory lock keeps two replicas from minting a
 * key at the same moment.
 */
@Injectable()
export class KeyRingService implements OnModuleInit {
  private keys: LoadedKey[] = [];
  // Built once per load: importing the public keys on every verify would cost each api request.
  private verifyKeys: ReturnType<typeof createLocalJWKSet> = createLocalJWKSet({ keys: [] });
  private loadedAt = 0;
  private readonly unknownKids = new Map<string, number>();
  private missReloads = { tokens: MISS_RELOAD_BURST, at: Date.now() };
  private missReload?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.ensureCurrentKey();
  }

  /** The longest a token we sign may live: keys stay published at least this long after rotation. */
  private get maxTokenTtl(): number {
    const a = this.config.auth;
    return Math.max(a.accessTokenTtl, a.agentSessionTtl) * 1000;
  }

  async ensureCurrentKey(now = new Date()): Promise<void> {
    await this.load(true);
    if (this.keys.some((k) => k.rotateAt > now)) return;
    await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      const fresh = await m.getRepository(SigningKey).count({ where: { rotateAt: MoreThan(now) } });
      if (fresh > 0) return;
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const kid = randomUUID();
      const rotateAt = new Date(now.getTime() + this.config.auth.signingKeyRotateAfter * 1000);
      await m.getRepository(SigningKey).insert({
        kid,
        alg: 'EdDSA',
        publicJwk: {
          ...(publicKey.export({ format: 'jwk' }) as Record<string, string>),
          kid,
          alg: 'EdDSA',
          use: 'sig',
        },
        privateKeySealed: seal(
          this.config.encryptionKey,
          privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        ),
        rotateAt,
        expiresAt: new Date(rotateAt.getTime() + this.maxTokenTtl + 60_000),
      });
    });
    await this.load(true);
  }

  private async load(force = false, maxAgeMs = CACHE_MS): Promise<void> {
    if (!force && Date.now() - this.loadedAt < maxAgeMs) return;
    const rows = await this.ds
      .getRepository(SigningKey)
      .find({ where: { expiresAt: MoreThan(new Date()) }, order: { createdAt: 'DESC' } });
    this.keys = rows.map((r) => ({
      kid: r.kid,
      privateKey: createPrivateKey(open(this.config.encryptionKey, r.privateKeySealed)),
      publicJwk: r.publicJwk,
      rotateAt: r.rotateAt,
      expiresAt: r.expiresAt,
    }));
    this.verifyKeys = createLocalJWKSet(this.publicKeys());
    this.loadedAt = Date.now();
  }

  private publicKeys(): JSONWebKeySet {
    return { keys: this.keys.map((k) => k.publicJwk) } as JSONWebKeySet;
  }

  async jwks(): Promise<JSONWebKeySet> {
    await this.load(false, JWKS_MAX_AGE_MS);
    return this.publicKeys();
  }

  async sign(
    payload: JWTPayload,
    opts: { audience: string; ttlSeconds: number; type: string },
  ): Promise<string> {
    await this.load();
    let key = this.keys.find((k) => k.rotateAt > new Date());
    if (!key) {
      await this.ensureCurrentKey();
      key = this.keys[0];
    }
    if (!key) throw new Error('no signing key available');
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: opts.type })
      .setIssuer(this.config.api.publicUrl)
      .setAudience(opts.audience)
      .setIssuedAt()
      .setExpirationTime(`${opts.ttlSeconds}s`)
      .sign(key.privateKey);
  }

  async verify<T extends JWTPayload>(token: string, opts: { audience: string; type: string }): Promise<T> {
    await this.load();
    const options: JWTVerifyOptions = {
      issuer: this.config.api.publicUrl,
      audience: opts.audience,
      algorithms: ['EdDSA'],
      typ: opts.type,
    };
    try {
      return (await jwtVerify<T>(token, this.verifyKeys, options)).payload;
    } catch (e) {
      // Perhaps a key minted by another replica after our last load: reload once and retry.
      const kid = noMatchingKid(e, token);
      if (kid === undefined || !(await this.reloadForUnknownKid(kid))) throw e;
      try {
        return (await jwtVerify<T>(token, this.verifyKeys, options)).payload;
      } catch (again) {
        if (noMatchingKid(again, token) !== undefined) this.rememberUnknownKid(kid);
        throw again;
      }
    }
  }

  /** Reloads for a kid we do not hold, unless it is known to be unknown or the ration is spent. */
  private async reloadForUnknownKid(kid: string): Promise<boolean> {
    const now = Date.now();
    const until = this.unknownKids.get(kid);
    if (until !== undefined && until > now) return false;
    if (!this.missReload) {
      const r = this.missReloads;
      r.tokens = Math.min(MISS_RELOAD_BURST, r.tokens + ((now - r.at) / 1000) * MISS_RELOADS_PER_SECOND);
      r.at = now;
      if (r.tokens < 1) return false;
      r.tokens -= 1;
      // Concurrent requests with new kids share one reload.
      this.missReload = this.load(true).finally(() => (this.missReload = undefined));
    }
    await this.missReload;
    return true;
  }

  private rememberUnknownKid(kid: string): void {
    this.unknownKids.delete(kid);
    if (this.unknownKids.size >= UNKNOWN_KIDS_MAX) {
      const oldest = this.unknownKids.keys().next().value;
      if (oldest !== undefined) this.unknownKids.delete(oldest);
    }
    this.unknownKids.set(kid, Date.now() + UNKNOWN_KID_TTL_MS);
  }
}

/** The token's kid when `e` says no key of ours has it; undefined for any other failure. */
function noMatchingKid(e: unknown, token: string): string | undefined {
  if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') return undefined;
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
