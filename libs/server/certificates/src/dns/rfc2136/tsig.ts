import { createHmac, timingSafeEqual } from 'node:crypto';
import { encodeName, u16, u32, u48 } from './dns-wire.js';

// TSIG (RFC 8945): an HMAC over the message and a few "TSIG variables", carried as the last
// additional record. Only HMAC-SHA256 is offered: the RFC's mandatory algorithm, and what
// `tsig-keygen` makes by default. (hmac-md5 and hmac-sha1 are deprecated for new keys.)

export const TSIG_TYPE = 250;
const CLASS_ANY = 255;
/** Seconds of clock difference accepted either way (RFC 8945 recommends 300). */
export const TSIG_FUDGE = 300;

export type TsigAlgorithm = 'hmac-sha256';

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** TSIG error values (RFC 8945 §4.5 / IANA), carried in the record's Error field. */
export const TsigError = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
  /** Offset in the message where the TSIG record starts (what the MAC covers ends there). */
  start: number;
}

function variables(
  keyName: string,
  algorithm: string,
  time: number,
  fudge: number,
  error: number,
  other: Buffer,
) {
  return Buffer.concat([
    encodeName(keyName),
    u16(CLASS_ANY),
    u32(0),
    encodeName(algorithm),
    u48(time),
    u16(fudge),
    u16(error),
    u16(other.length),
    other,
  ]);
}

const hmac = (key: TsigKey, ...parts: Buffer[]): Buffer => {
  const h = createHmac('sha256', key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Appends a TSIG record to `message` (whose ARCOUNT does not yet count it); returns it and its MAC. */
export function signMessage(message: Buffer, key: TsigKey, now: number): { signed: Buffer; mac: Buffer } {
  const time = Math.floor(now / 1000);
  const mac = hmac(key, message, variables(key.name, key.algorithm, time, TSIG_FUDGE, 0, Buffer.alloc(0)));
  const rdata = Buffer.concat([
    encodeName(key.algorithm),
    u48(time),
    u16(TSIG_FUDGE),
    u16(mac.length),
    mac,
    message.subarray(0, 2), // original id
    u16(0),
    u16(0),
  ]);
  const rr = Buffer.concat([
    encodeName(key.name),
    u16(TSIG_TYPE),
    u16(CLASS_ANY),
    u32(0),
    u16(rdata.length),
    rdata,
  ]);
  const signed = Buffer.concat([message, rr]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

export type TsigVerdict = 'valid' | 'unsigned' | 'bad-key' | 'bad-signature' | 'bad-time';

/**
 * Checks a response's TSIG against the request's MAC (RFC 8945 §5.3): the MAC covers the
 * request MAC, the response without its TSIG record (ARCOUNT one less, original id), and the
 * response's TSIG variables.
 */
export function verifyResponse(
  response: Buffer,
  tsig: TsigRecord | undefined,
  key: TsigKey,
  requestMac: Buffer,
  now: number,
): TsigVerdict {
  if (!tsig || tsig.mac.length === 0) return 'unsigned';
  if (tsig.keyName !== key.name.replace(/\.$/, '').toLowerCase() || tsig.algorithm !== key.algorithm)
    return 'bad-key';
  const body = Buffer.from(response.subarray(0, tsig.start));
  body.writeUInt16BE(tsig.originalId, 0);
  body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
  const expected = hmac(
    key,
    u16(requestMac.length),
    requestMac,
    body,
    variables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other),
  );
  if (expected.length !== tsig.mac.length || !timingSafeEqual(expected, tsig.mac)) return 'bad-signature';
  if (Math.abs(Math.floor(now / 1000) - tsig.timeSigned) > tsig.fudge) return 'bad-time';
  return 'valid';
}
