// The PROXY protocol (HAProxy, versions 1 and 2): the header a load balancer sends first on
// each connection to name the client it carries. Written here rather than taken from npm: the
// maintained parsers (proxy-protocol-js; findhit-proxywrap is v1 only and patches net.Server)
// parse a buffer already known to hold a whole header, so the framing, the bounds and the
// validation a public listener needs would be ours anyway, and proxy-protocol-js takes v2 TLVs
// for payload and accepts any text as a v1 address. Bounded: a v1 line is at most 107 bytes
// (the spec's maximum), a v2 header at most 16 + MAX_V2_PAYLOAD bytes, its length checked
// against the address family before anything is read from it.
import { isIP } from 'node:net';

export interface ProxiedAddress {
  address: string;
  port: number;
}

export type ProxyHeaderPeek =
  /** need more bytes */
  | { state: 'partial' }
  /** not a PROXY header, or a malformed one: the connection is dropped */
  | { state: 'invalid'; reason: string }
  /**
   * A header of `length` bytes. `source` is the client; absent for v1 UNKNOWN and v2 LOCAL
   * (the balancer's own health checks), which keep the connection's own address.
   */
  | { state: 'done'; length: number; source?: ProxiedAddress };

export const MAX_V1_BYTES = 107;
// Addresses (at most 216 bytes for AF_UNIX) plus TLVs (cloud balancers add a few dozen bytes).
export const MAX_V2_PAYLOAD = 1024;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_HEADER = 16;

/** Reads a PROXY header at the start of `buf` (the first bytes of a connection). */
export function peekProxyHeader(buf: Buffer): ProxyHeaderPeek {
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < V2_SIGNATURE.length ? partial : peekV2(buf);
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? partial : peekV1(buf);
  return invalid('no PROXY protocol header');
}

const partial: ProxyHeaderPeek = { state: 'partial' };
const invalid = (reason: string): ProxyHeaderPeek => ({ state: 'invalid', reason });

/** Whether `buf` and `prefix` agree on their common length. */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function peekV1(buf: Buffer): ProxyHeaderPeek {
  const lf = buf.indexOf(0x0a);
  if (lf < 0) return buf.length >= MAX_V1_BYTES ? invalid('v1 header too long') : partial;
  if (lf + 1 > MAX_V1_BYTES) return invalid('v1 header too long');
  if (buf[lf - 1] !== 0x0d) return invalid('v1 header not ended by CRLF');
  const line = buf.subarray(0, lf - 1).toString('latin1');
  const parts = line.split(' ');
  const length = lf + 1;
  // "PROXY UNKNOWN" may carry anything after it: the receiver ignores it.
  if (parts[1] === 'UNKNOWN') return { state: 'done', length };
  if (parts.length !== 6) return invalid('v1 header needs protocol, two addresses and two ports');
  const [, proto, src, dst, srcPort, dstPort] = parts;
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (!family) return invalid(`v1 protocol ${proto}`);
  if (isIP(src) !== family || isIP(dst) !== family) return invalid('v1 address not of its protocol');
  const port = v1Port(srcPort);
  if (port === undefined || v1Port(dstPort) === undefined) return invalid('v1 port');
  return { state: 'done', length, source: { address: src.toLowerCase(), port } };
}

function v1Port(s: string): number | undefined {
  if (!/^(0|[1-9]\d{0,4})$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function peekV2(buf: Buffer): ProxyHeaderPeek {
  if (buf.length < V2_HEADER) return partial;
  const versionCommand = buf[12];
  if (versionCommand >> 4 !== 2) return invalid('v2 version');
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid('v2 command');
  const family = buf[13] >> 4;
  const transport = buf[13] & 0x0f;
  const payload = buf.readUInt16BE(14);
  if (payload > MAX_V2_PAYLOAD) return invalid('v2 header too long');
  const need = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (family > 3) return invalid('v2 address family');
  if (payload < need) return invalid('v2 length shorter than its addresses');
  if (buf.length < V2_HEADER + payload) return partial;
  const length = V2_HEADER + payload;
  // LOCAL: the balancer speaking for itself (health checks); the connection's address stands.
  if (command === 0) return { state: 'done', length };
  if (transport !== 1) return invalid('v2 transport is not a stream');
  if (family === 1) {
    const address = [buf[16], buf[17], buf[18], buf[19]].join('.');
    return { state: 'done', length, source: { address, port: buf.readUInt16BE(24) } };
  }
  if (family === 2) {
    return {
      state: 'done',
      length,
      source: { address: ipv6(buf.subarray(16, 32)), port: buf.readUInt16BE(48) },
    };
  }
  // UNSPEC or AF_UNIX under PROXY: no client address we could judge.
  return invalid('v2 PROXY without an IP address');
}

/** 16 bytes -> `2001:db8:0:0:0:0:0:1`; an IPv4-mapped address -> `1.2.3.4`. */
function ipv6(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}
