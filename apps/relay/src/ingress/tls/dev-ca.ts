import 'reflect-metadata'; // @peculiar/x509 resolves its providers through tsyringe
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** A leaf closer than this to expiry is re-issued at start. */
const RENEW_DAYS = 30;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

/**
 * What the edge's TLS listeners serve: the default certificate (configured, or the dev
 * wildcard) and, with a dev CA, a way to issue a certificate for a host the wildcard cannot
 * cover (clients refuse `*.localhost`: a wildcard needs two labels after it).
 */
export interface TlsMaterial extends KeyPairPem {
  /** PEM of the dev CA, when the relay made its own certificates */
  caPem?: string;
  issue?(host: string): Promise<KeyPairPem>;
}

export interface TlsMaterialOptions {
  dir: string;
  certFile?: string;
  keyFile?: string;
  baseDomain: string;
  publicHost: string;
}

/** Loads the configured certificate, or the dev CA and wildcard from `dir`, creating what is missing or stale. */
export async function loadTlsMaterial(opts: TlsMaterialOptions): Promise<TlsMaterial> {
  if (opts.certFile && opts.keyFile) {
    const [certPem, keyPem] = await Promise.all([
      readFile(opts.certFile, 'utf8'),
      readFile(opts.keyFile, 'utf8'),
    ]);
    return { certPem, keyPem };
  }
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const ca = (await readCa(opts.dir)) ?? (await writeCa(opts.dir));
  const names = requiredNames(opts.baseDomain, opts.publicHost);
  const leaf = (await readLeaf(opts.dir, ca, names)) ?? (await writeLeaf(opts.dir, ca, names));
  return { ...leaf, caPem: ca.certPem, issue: (host) => issueLeaf(ca, [host]) };
}

interface Ca extends KeyPairPem {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

function requiredNames(baseDomain: string, publicHost: string): string[] {
  return [...new Set([`*.${baseDomain}`, baseDomain, 'localhost', publicHost, '127.0.0.1', '::1'])];
}

async function readCa(dir: string): Promise<Ca | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(dir, 'ca.pem'), 'utf8'),
      readFile(join(dir, 'ca-key.pem'), 'utf8'),
    ]);
    const cert = new x509.X509Certificate(certPem);
    if (cert.notAfter.getTime() < Date.now() + RENEW_DAYS * DAY) return undefined;
    const key = await createPrivateKey(keyPem).toCryptoKey(ALG, false, ['sign']);
    return { certPem, keyPem, cert, key };
  } catch {
    return undefined;
  }
}

async function writeCa(dir: string): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=fdt development CA ${randomBytes(3).toString('hex')}, O=fdt`,
    keys,
    signingAlgorithm: ALG,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + CA_DAYS * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const ca = { certPem: cert.toString('pem'), keyPem: pemOf(keys.privateKey), cert, key: keys.privateKey };
  await writeAtomic(join(dir, 'ca-key.pem'), ca.keyPem, 0o600);
  await writeAtomic(join(dir, 'ca.pem'), ca.certPem, 0o644);
  return ca;
}

async function readLeaf(dir: string, ca: Ca, names: string[]): Promise<KeyPairPem | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(dir, 'wildcard.pem'), 'utf8'),
      readFile(join(dir, 'wildcard-key.pem'), 'utf8'),
    ]);
    const cert = new X509Certificate(certPem);
    const sans = new Set((cert.subjectAltName ?? '').split(', ').map(sanValue));
    const fresh = new Date(cert.validTo).getTime() > Date.now() + RENEW_DAYS * DAY;
    const ours = cert.verify(new X509Certificate(ca.certPem).publicKey);
    const covers = names.every((n) => sans.has(isIP(n) ? normalizeIpSan(n) : n));
    return fresh && ours && covers ? { certPem, keyPem } : undefined;
  } catch {
    return undefined;
  }
}

async function writeLeaf(dir: string, ca: Ca, names: string[]): Promise<KeyPairPem> {
  const leaf = await issueLeaf(ca, names);
  await writeAtomic(join(dir, 'wildcard-key.pem'), leaf.keyPem, 0o600);
  await writeAtomic(join(dir, 'wildcard.pem'), leaf.certPem, 0o644);
  return leaf;
}

async function issueLeaf(ca: Ca, names: string[]): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cn = names[0] ?? 'fdt';
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn.replace(/[,+="<>#;\\]/g, '')}`,
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + LEAF_DAYS * DAY),
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => (isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n })),
      ),
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n${ca.certPem}`, keyPem: pemOf(keys.privateKey) };
}

// `DNS:a.example`, `IP Address:127.0.0.1`, `IP Address:0:0:0:0:0:0:0:1` (how Node prints SANs)
function sanValue(entry: string): string {
  const [kind, ...rest] = entry.split(':');
  const v = rest.join(':');
  return kind === 'IP Address' ? normalizeIpSan(v) : v;
}

function normalizeIpSan(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]/`).hostname;
}

const serial = () =>
  randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '1');
const pemOf = (key: CryptoKey) => KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();

// Several relays (or restarts) may share the directory: a reader sees an old file or a new one, never half of one.
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}
