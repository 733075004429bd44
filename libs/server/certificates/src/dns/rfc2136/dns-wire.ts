// The few pieces of the DNS wire format (RFC 1035 §4) an UPDATE with TSIG needs: names without
// compression on the way out, names with compression pointers on the way in, big-endian integers.

/** A DNS message is at most 65535 bytes (TCP length prefix); UDP answers are smaller. */
export const MAX_MESSAGE_BYTES = 65_535;

export class DnsWireError extends Error {}

/** Uncompressed, lower-cased wire form of a name: the canonical form TSIG signs (RFC 8945 §4.3.3). */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '').toLowerCase();
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63) throw new DnsWireError(`invalid DNS label in "${name}"`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsWireError(`DNS name too long: "${name}"`);
  return out;
}

/** TXT RDATA: the value as character-strings of at most 255 bytes each (RFC 1035 §3.3.14). */
export function encodeTxtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0) return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
export const u48 = (n: number): Buffer => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

/** A bounds-checked cursor over a received message: a short or hostile packet throws DnsWireError. */
export class DnsReader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsWireError('truncated DNS message');
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.offset++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  u48(): number {
    this.need(6);
    const v = this.buf.readUIntBE(this.offset, 6);
    this.offset += 6;
    return v;
  }
  /** Moves to `pos` (the end of a record's RDATA), refusing to leave the message. */
  seek(pos: number): void {
    if (pos > this.buf.length) throw new DnsWireError('truncated DNS message');
    this.offset = pos;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A name, following compression pointers (bounded, so a pointer loop cannot spin). */
  name(): string {
    const labels: string[] = [];
    let pos = this.offset;
    let jumped = false;
    for (let hops = 0; hops < 128; hops++) {
      if (pos >= this.buf.length) throw new DnsWireError('truncated DNS name');
      const len = this.buf.readUInt8(pos);
      if (len === 0) {
        if (!jumped) this.offset = pos + 1;
        return labels.join('.').toLowerCase();
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsWireError('truncated DNS name pointer');
        const target = ((len & 0x3f) << 8) | this.buf.readUInt8(pos + 1);
        if (!jumped) this.offset = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len > 63 || pos + 1 + len > this.buf.length) throw new DnsWireError('invalid DNS label');
      labels.push(this.buf.toString('ascii', pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    throw new DnsWireError('DNS name compression loop');
  }
}
