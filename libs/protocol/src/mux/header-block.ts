import { MuxLimits } from './frames.js';

/** What a sender passes: HTTP/2-style lowercase names, pseudo-headers (`:method`...) included. */
export type MuxHeaders = Record<string, string | number | readonly string[] | undefined>;

/** A received block: by name (a repeated name collects an array), and flat `[name, value, ...]` in order. */
export interface DecodedHeaders {
  headers: Record<string, string | string[]>;
  raw: string[];
}

export class HeaderBlockError extends Error {}

// Layout: u16 count, then per field u16 name length, name, u32 value length, value. Names and
// values are latin1, as Node's HTTP parser hands them over: bytes survive unchanged. Hand
// written because HPACK buys nothing on a link where every block is one request head.

/** Encodes a header block; throws HeaderBlockError past the limits. */
export function encodeHeaderBlock(headers: MuxHeaders): Buffer {
  let count = 0;
  let size = 2;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (typeof v === 'object') {
      for (const one of v) {
        count += 1;
        size += 6 + name.length + one.length;
      }
    } else {
      count += 1;
      size += 6 + name.length + String(v).length;
    }
  }
  if (count > MuxLimits.headerCount || size > MuxLimits.headerBlock)
    throw new HeaderBlockError(`header block too large (${count} fields, ${size} bytes)`);
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt16BE(count, 0);
  let off = 2;
  const put = (name: string, value: string) => {
    buf.writeUInt16BE(name.length, off);
    off += 2;
    off += buf.write(name, off, 'latin1');
    buf.writeUInt32BE(value.length, off);
    off += 4;
    off += buf.write(value, off, 'latin1');
  };
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (typeof v === 'object') for (const one of v) put(name, one);
    else put(name, typeof v === 'string' ? v : String(v));
  }
  return buf;
}

/** Decodes a header block; throws HeaderBlockError when it is malformed. */
export function decodeHeaderBlock(buf: Buffer): DecodedHeaders {
  if (buf.length < 2) throw new HeaderBlockError('header block truncated');
  const count = buf.readUInt16BE(0);
  if (count > MuxLimits.headerCount) throw new HeaderBlockError('too many header fields');
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const raw: string[] = new Array<string>(count * 2);
  let off = 2;
  for (let i = 0; i < count; i++) {
    if (off + 2 > buf.length) throw new HeaderBlockError('header block truncated');
    const nameLen = buf.readUInt16BE(off);
    off += 2;
    if (nameLen === 0 || off + nameLen + 4 > buf.length) throw new HeaderBlockError('bad header name');
    const name = buf.toString('latin1', off, off + nameLen);
    off += nameLen;
    const valueLen = buf.readUInt32BE(off);
    off += 4;
    if (off + valueLen > buf.length) throw new HeaderBlockError('header block truncated');
    const value = buf.toString('latin1', off, off + valueLen);
    off += valueLen;
    raw[i * 2] = name;
    raw[i * 2 + 1] = value;
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (typeof prev === 'string') headers[name] = [prev, value];
    else prev.push(value);
  }
  if (off !== buf.length) throw new HeaderBlockError('trailing bytes after the header block');
  return { headers, raw };
}
