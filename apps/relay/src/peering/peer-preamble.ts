// The one frame a relay sends first on a connection to another relay's peer port. It says
// who the visitor is (the receiving relay has only the peer's address on the socket), what
// follows (an HTTP/1.1 byte stream, or a TLS ClientHello and the rest of a TLS connection)
// and how many relays the visitor has crossed. An HMAC under the relay secret that every
// relay shares makes it unforgeable; a timestamp and a single-use nonce bound replay.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const PEER_PREAMBLE_VERSION = 1;
/** A preamble is small: anything bigger is not a relay talking. */
export const MAX_PREAMBLE_BYTES = 2048;
/** How far the sender's clock may be from ours, each way. */
export const PREAMBLE_MAX_SKEW_MS = 30_000;
/** A visitor crosses at most one relay-to-relay hop: a forwarded visitor is never forwarded again. */
export const MAX_HOPS = 1;

/** `http`: HTTP/1.1 bytes as the visitor sent them; `tls`: a TLS connection from its ClientHello on. */
export type PeerKind = 'http' | 'tls';

export interface PeerVisitor {
  kind: PeerKind;
  /** the scheme the visitor used */
  proto: 'http' | 'https';
  remoteAddress: string;
  remotePort: number;
}

export interface PeerPreamble extends PeerVisitor {
  type: 'peer';
  v: typeof PEER_PREAMBLE_VERSION;
  hops: number;
  /** the sending relay's name (for logs) */
  from: string;
  /** milliseconds since the epoch */
  ts: number;
  /** 16 random bytes, base64url: each preamble is accepted once */
  nonce: string;
  /** HMAC-SHA256 of the fields above, base64url */
  mac: string;
}

const FIELDS = [
  'type',
  'v',
  'kind',
  'proto',
  'remoteAddress',
  'remotePort',
  'hops',
  'from',
  'ts',
  'nonce',
  'mac',
];

/** The MAC key: derived from the relay secret, so that the secret itself never keys two uses. */
export function preambleKey(relaySecret: string): Buffer {
  return createHmac('sha256', relaySecret).update('fdt relay peering v1').digest();
}

export function signPreamble(
  key: Buffer,
  visitor: PeerVisitor,
  from: string,
  hops = 1,
  now = Date.now(),
): PeerPreamble {
  const unsigned: Omit<PeerPreamble, 'mac'> = {
    type: 'peer',
    v: PEER_PREAMBLE_VERSION,
    kind: visitor.kind,
    proto: visitor.proto,
    remoteAddress: visitor.remoteAddress,
    remotePort: visitor.remotePort,
    hops,
    from,
    ts: now,
    nonce: randomBytes(16).toString('base64url'),
  };
  return { ...unsigned, mac: mac(key, unsigned).toString('base64url') };
}

export type PreambleCheck = { ok: true; preamble: PeerPreamble } | { ok: false; reason: string };

/** Shape, MAC and age of a decoded preamble (replay is the ReplayGuard's part). */
export function checkPreamble(key: Buffer, value: unknown, now = Date.now()): PreambleCheck {
  const bad = (reason: string): PreambleCheck => ({ ok: false, reason });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not an object');
  const p = value as Record<string, unknown>;
  const keys = Object.keys(p);
  if (keys.length !== FIELDS.length || !FIELDS.every((f) => keys.includes(f)))
    return bad('unexpected fields');
  if (p.type !== 'peer' || p.v !== PEER_PREAMBLE_VERSION) return bad('not a peer preamble of this version');
  if (p.kind !== 'http' && p.kind !== 'tls') return bad('bad kind');
  if (p.proto !== 'http' && p.proto !== 'https') return bad('bad proto');
  if (typeof p.remoteAddress !== 'string' || isIP(p.remoteAddress) === 0) return bad('bad remoteAddress');
  if (!isInt(p.remotePort, 0, 65535)) return bad('bad remotePort');
  if (!isInt(p.hops, 1, 255)) return bad('bad hops');
  if (typeof p.from !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(p.from))
    return bad('bad from');
  if (!isInt(p.ts, 0, Number.MAX_SAFE_INTEGER)) return bad('bad ts');
  if (typeof p.nonce !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(p.nonce)) return bad('bad nonce');
  if (typeof p.mac !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(p.mac)) return bad('bad mac');
  const preamble = p as unknown as PeerPreamble;
  const { mac: given, ...unsigned } = preamble;
  const expected = mac(key, unsigned);
  if (!timingSafeEqual(Buffer.from(given, 'base64url'), expected))
    return bad('wrong MAC (FDT_RELAY_SECRET differs?)');
  // Checked after the MAC, so that a stranger learns nothing about our clock.
  if (Math.abs(now - preamble.ts) > PREAMBLE_MAX_SKEW_MS)
    return bad('too old or from the future (clock skew?)');
  return { ok: true, preamble };
}

// A JSON array in a fixed order: unambiguous whatever the field values hold.
function mac(key: Buffer, p: Omit<PeerPreamble, 'mac'>): Buffer {
  const fields = [p.type, p.v, p.kind, p.proto, p.remoteAddress, p.remotePort, p.hops, p.from, p.ts, p.nonce];
  return createHmac('sha256', key).update(JSON.stringify(fields)).digest();
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
