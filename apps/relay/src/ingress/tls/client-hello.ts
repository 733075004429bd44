// Reads the server name (SNI) from a TLS ClientHello without terminating TLS, so the edge
// can choose between passthrough and termination. Bounded: a ClientHello is at most
// MAX_HELLO_BYTES of handshake data, possibly split over several TLS records.

export const MAX_HELLO_BYTES = 64 * 1024;

export type HelloPeek =
  /** need more bytes */
  | { state: 'partial' }
  /**
   * a ClientHello; servername absent when the client sent no SNI; acmeTls when its ALPN
   * offers `acme-tls/1` (an ACME server validating a TLS-ALPN-01 challenge, RFC 8737)
   */
  | { state: 'done'; servername?: string; acmeTls?: boolean }
  /** not a TLS ClientHello */
  | { state: 'invalid'; reason: string };

const RECORD_HEADER = 5;
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const ACME_TLS_1 = Buffer.from('acme-tls/1');

export function peekClientHello(buf: Buffer): HelloPeek {
  // Reassemble handshake bytes from consecutive handshake records.
  const parts: Buffer[] = [];
  let have = 0;
  let offset = 0;
  let need = -1;
  while (need < 0 || have < need) {
    if (buf.length < offset + RECORD_HEADER) return { state: 'partial' };
    if (buf[offset] !== HANDSHAKE) return { state: 'invalid', reason: 'not a TLS handshake record' };
    if (buf[offset + 1] !== 0x03) return { state: 'invalid', reason: 'not TLS' };
    const len = buf.readUInt16BE(offset + 3);
    if (len === 0 || len > 16384 + 2048) return { state: 'invalid', reason: 'bad TLS record length' };
    if (buf.length < offset + RECORD_HEADER + len) {
      // Enough of the first record to read the handshake header: reject nonsense early.
      if (
        need < 0 &&
        have === 0 &&
        buf.length >= offset + RECORD_HEADER + 4 &&
        buf[offset + RECORD_HEADER] !== CLIENT_HELLO
      ) {
        return { state: 'invalid', reason: 'not a ClientHello' };
      }
      return { state: 'partial' };
    }
    parts.push(buf.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + len));
    have += len;
    offset += RECORD_HEADER + len;
    if (need < 0) {
      const first = parts[0];
      if (first.length < 4) return { state: 'invalid', reason: 'short handshake header' };
      if (first[0] !== CLIENT_HELLO) return { state: 'invalid', reason: 'not a ClientHello' };
      need = 4 + first.readUIntBE(1, 3);
      if (need > MAX_HELLO_BYTES) return { state: 'invalid', reason: 'ClientHello too large' };
    }
  }
  return parseHello(Buffer.concat(parts).subarray(4, need));
}

function parseHello(h: Buffer): HelloPeek {
  const bad = (reason: string): HelloPeek => ({ state: 'invalid', reason });
  let p = 2 + 32; // legacy_version, random
  if (h.length < p + 1) return bad('truncated ClientHello');
  p += 1 + h[p]; // legacy_session_id
  if (h.length < p + 2) return bad('truncated ClientHello');
  p += 2 + h.readUInt16BE(p); // cipher_suites
  if (h.length < p + 1) return bad('truncated ClientHello');
  p += 1 + h[p]; // legacy_compression_methods
  if (h.length === p) return { state: 'done' }; // no extensions
  if (h.length < p + 2) return bad('truncated ClientHello');
  const end = p + 2 + h.readUInt16BE(p);
  if (end > h.length) return bad('truncated extensions');
  p += 2;
  let sni: HelloPeek = { state: 'done' };
  let acmeTls = false;
  let sawSni = false;
  while (p + 4 <= end) {
    const type = h.readUInt16BE(p);
    const len = h.readUInt16BE(p + 2);
    p += 4;
    // What follows a server_name we read is not ours to judge (as before ALPN was read too).
    if (p + len > end) {
      if (sawSni) break;
      return bad('truncated extension');
    }
    if (type === EXT_SERVER_NAME) {
      sawSni = true;
      sni = serverName(h.subarray(p, p + len));
      if (sni.state === 'invalid') return sni;
    } else if (type === EXT_ALPN) {
      acmeTls = offersAcmeTls(h.subarray(p, p + len));
    }
    p += len;
  }
  return acmeTls && sni.state === 'done' ? { ...sni, acmeTls } : sni;
}

/** Whether an ALPN extension's protocol list names `acme-tls/1`. */
function offersAcmeTls(ext: Buffer): boolean {
  if (ext.length < 2) return false;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  for (let p = 2; p < end;) {
    const len = ext[p] ?? 0;
    if (len === ACME_TLS_1.length && ext.subarray(p + 1, p + 1 + len).equals(ACME_TLS_1)) return true;
    p += 1 + len;
  }
  return false;
}

function serverName(ext: Buffer): HelloPeek {
  if (ext.length < 2) return { state: 'invalid', reason: 'bad server_name' };
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let p = 2;
  while (p + 3 <= end) {
    const type = ext[p];
    const len = ext.readUInt16BE(p + 1);
    p += 3;
    if (p + len > end) return { state: 'invalid', reason: 'bad server_name' };
    if (type === 0) {
      const name = ext
        .subarray(p, p + len)
        .toString('latin1')
        .toLowerCase()
        .replace(/\.$/, '');
      if (!/^[a-z0-9.-]{1,253}$/.test(name)) return { state: 'invalid', reason: 'bad server_name' };
      return { state: 'done', servername: name };
    }
    p += len;
  }
  return { state: 'done' };
}
