// Mutual TLS on the peer port. Relays forward visitors' bytes to each other: on the cluster
// network those must be neither readable nor injectable by anyone else there. Each relay
// presents a certificate of the cluster CA and accepts only peers that do too; the HMAC
// preamble (peer-preamble.ts) still says who the visitor is inside that channel.
//
// Where the certificates come from:
// - FDT_RELAY_PEER_TLS_CERT_FILE/KEY_FILE/CA_FILE: the operator's cluster CA (cert-manager on
//   Kubernetes, docs/operations.md). Files are re-read every few minutes, so renewals apply
//   without a restart.
// - otherwise a CA derived from FDT_RELAY_SECRET, which every relay of a platform already
//   shares: its key comes from the secret (HKDF), so relays agree on it with no setup, and only
//   holders of the secret can issue certificates it accepts. Each relay issues itself a fresh
//   leaf at start.
import 'reflect-metadata'; // @peculiar/x509 resolves its providers through tsyringe
import { createECDH, createHash, hkdfSync, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import * as x509 from '@peculiar/x509';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** How often configured files are checked for a renewal. */
const RELOAD_MS = 5 * 60_000;
// The P-256 group order: a derived private scalar must be below it.
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

export interface PeerTlsMaterial {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/**
 * The peer port's TLS: a secure context for both ends (each relay is a server to some peers
 * and a client of others, with the same certificate), or none when FDT_RELAY_PEER_TLS=false.
 */
@Injectable()
export class PeerTls implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PeerTls.name);
  private current?: { material: PeerTlsMaterial; context: SecureContext };
  private reloader?: NodeJS.Timeout;
  private readonly listeners = new Set<(context: SecureContext) => void>();

  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {}

  get enabled(): boolean {
    return this.config.relay.peering.tls.enabled;
  }

  /** The context to connect and accept with; throws before onModuleInit or when TLS is off. */
  get context(): SecureContext {
    if (!this.current) throw new Error('peer TLS is off or not loaded');
    return this.current.context;
  }

  /** Material (PEM) for a server that must be built with options rather than a context. */
  get material(): PeerTlsMaterial {
    if (!this.current) throw new Error('peer TLS is off or not loaded');
    return this.current.material;
  }

  /** Called when configured files were renewed (`context` and `material` are the new ones by then). */
  onRenewal(listener: (context: SecureContext) => void): void {
    this.listeners.add(listener);
  }

  async onModuleInit(): Promise<void> {
    const p = this.config.relay.peering;
    if (!p.enabled) return;
    if (!p.tls.enabled) {
      this.logger.warn(
        'FDT_RELAY_PEER_TLS=false: relays forward visitors to each other in plaintext (unsafe outside a network only relays can reach)',
      );
      return;
    }
    const material = await this.load();
    this.current = { material, context: contextOf(material) };
    if (p.tls.certFile) {
      this.reloader = setInterval(() => void this.reload(), RELOAD_MS);
      this.reloader.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.reloader);
  }

  private async load(): Promise<PeerTlsMaterial> {
    const t = this.config.relay.peering.tls;
    if (t.certFile && t.keyFile && t.caFile) {
      const [certPem, keyPem, caPem] = await Promise.all(
        [t.certFile, t.keyFile, t.caFile].map((f) => readFile(f, 'utf8')),
      );
      return { certPem, keyPem, caPem };
    }
    return derivePeerTls(this.config.relay.secret, this.config.relay.name);
  }

  private async reload(): Promise<void> {
    try {
      const material = await this.load();
      const old = this.current?.material;
      if (
        old &&
        old.certPem === material.certPem &&
        old.keyPem === material.keyPem &&
        old.caPem === material.caPem
      )
        return;
      const context = contextOf(material);
      this.current = { material, context };
      this.logger.log('peer TLS certificate renewed from its files');
      for (const l of this.listeners) l(context);
    } catch (e) {
      this.logger.warn(`peer TLS files unreadable, keeping the current ones: ${(e as Error).message}`);
    }
  }
}

function contextOf(m: PeerTlsMaterial): SecureContext {
  return createSecureContext({ cert: m.certPem, key: m.keyPem, ca: m.caPem, minVersion: 'TLSv1.3' });
}

/**
 * The cluster CA derived from the relay secret, and a fresh leaf for `relayName` signed by it.
 * Every relay derives the same CA key, so each trusts the others' leaves.
 */
export async function derivePeerTls(secret: string, relayName: string): Promise<PeerTlsMaterial> {
  const caKeys = await derivedKeyPair(secret);
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', caKeys.publicKey));
  const id = createHash('sha256').update(spki).digest('hex').slice(0, 16);
  const caName = `CN=fdt relay peering CA ${id}, O=fdt`;
  // Fixed dates and serial: only the name and key need to agree between relays, but a stable
  // certificate reads the same in every relay's logs.
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${id}`,
    name: caName,
    keys: caKeys,
    signingAlgorithm: ALG,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2125-01-01T00:00:00Z'),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: `02${randomBytes(15).toString('hex')}`,
    subject: `CN=${relayName.replace(/[,+="<>#;\\]/g, '')}, O=fdt relay`,
    issuer: ca.subject,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    notBefore: new Date(now - DAY),
    // Issued afresh at every start: a relay running this long is restarted by then.
    notAfter: new Date(now + 3650 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH, CLIENT_AUTH]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caPem = ca.toString('pem');
  return {
    certPem: `${leaf.toString('pem')}\n${caPem}`,
    keyPem: KeyObject.from(leafKeys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
    caPem,
  };
}

// A P-256 key pair from the secret: HKDF output as the private scalar (the first candidate
// below the group order, almost always the first), its public point from ECDH.
async function derivedKeyPair(secret: string): Promise<webcrypto.CryptoKeyPair> {
  for (let i = 0; ; i++) {
    const d = Buffer.from(hkdfSync('sha256', secret, 'fdt relay peering', `peer CA P-256 key ${i}`, 32));
    const n = BigInt(`0x${d.toString('hex')}`);
    if (n === 0n || n >= P256_N) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey();
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    };
    const [privateKey, publicKey] = await Promise.all([
      webcrypto.subtle.importKey('jwk', { ...jwk, d: d.toString('base64url') }, ALG, true, ['sign']),
      webcrypto.subtle.importKey('jwk', jwk, ALG, true, ['verify']),
    ]);
    return { privateKey, publicKey };
  }
}
