import { DnsReader, encodeName, encodeTxtRdata, u16, u32 } from './dns-wire.js';
import { TSIG_TYPE, type TsigRecord } from './tsig.js';

// An RFC 2136 UPDATE: header with opcode 5, one zone entry (zone, SOA, IN), no prerequisites,
// and TXT changes in the update section: "add to an RRset" (class IN, TTL) and "delete an RR
// from an RRset" (class NONE, TTL 0, the exact RDATA) — RFC 2136 §2.5.1 and §2.5.4.

const OPCODE_UPDATE = 5;
const TYPE_SOA = 6;
const TYPE_TXT = 16;
const CLASS_IN = 1;
const CLASS_NONE = 254;

export interface TxtChange {
  op: 'add' | 'delete';
  name: string;
  value: string;
  ttl: number;
}

export function buildUpdate(id: number, zone: string, changes: TxtChange[]): Buffer {
  const header = Buffer.concat([
    u16(id),
    u16(OPCODE_UPDATE << 11),
    u16(1),
    u16(0),
    u16(changes.length),
    u16(0),
  ]);
  const zoneSection = Buffer.concat([encodeName(zone), u16(TYPE_SOA), u16(CLASS_IN)]);
  const updates = changes.map((c) => {
    const rdata = encodeTxtRdata(c.value);
    return Buffer.concat([
      encodeName(c.name),
      u16(TYPE_TXT),
      u16(c.op === 'add' ? CLASS_IN : CLASS_NONE),
      u32(c.op === 'add' ? c.ttl : 0),
      u16(rdata.length),
      rdata,
    ]);
  });
  return Buffer.concat([header, zoneSection, ...updates]);
}

/** RCODE names (RFC 1035, RFC 2136 §2.2) for messages a person reads. */
export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

export interface UpdateResponse {
  id: number;
  isResponse: boolean;
  truncated: boolean;
  opcode: number;
  rcode: number;
  tsig?: TsigRecord;
}

/** Reads the header and, when present, the TSIG record (the last additional record). */
export function parseResponse(buf: Buffer): UpdateResponse {
  const r = new DnsReader(buf);
  const id = r.u16();
  const flags = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()];
  const res: UpdateResponse = {
    id,
    isResponse: (flags & 0x8000) !== 0,
    truncated: (flags & 0x0200) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
  };
  for (let i = 0; i < counts[0]; i++) {
    r.name();
    r.u16();
    r.u16();
  }
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records; i++) {
    const start = r.offset;
    const keyName = r.name();
    const type = r.u16();
    r.u16(); // class
    r.u32(); // ttl
    const rdlength = r.u16();
    const end = r.offset + rdlength;
    if (type === TSIG_TYPE && i === records - 1 && counts[3] > 0) {
      const algorithm = r.name();
      const timeSigned = r.u48();
      const fudge = r.u16();
      const mac = r.bytes(r.u16());
      const originalId = r.u16();
      const error = r.u16();
      const other = r.bytes(r.u16());
      res.tsig = { keyName, algorithm, timeSigned, fudge, mac, originalId, error, other, start };
    }
    r.seek(end);
  }
  // The extended RCODE of TSIG errors lives in the TSIG record, not the header (RFC 8945 §3).
  return res;
}
