// PROXY protocol headers as a load balancer sends them, for tests of the relay's listeners.

/** The 12-byte signature a v2 header starts with. */
export const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/** A PROXY v2 header: command 1 PROXY / 0 LOCAL, family+transport byte, the address block. */
export const proxyV2 = (command: number, famTransport: number, addresses: Buffer, version = 2) =>
  Buffer.concat([
    SIG,
    Buffer.from([(version << 4) | command, famTransport]),
    u16(addresses.length),
    addresses,
  ]);

/** A v2 TCP over IPv4 address block: source, then the destination the balancer was reached at. */
export const inet4Block = (src: string, srcPort: number, dst: string, dstPort: number) =>
  Buffer.concat([
    Buffer.from(src.split('.').map(Number)),
    Buffer.from(dst.split('.').map(Number)),
    u16(srcPort),
    u16(dstPort),
  ]);

/** A v2 TCP over IPv6 address block from a source in hex; the destination is ::1. */
export const inet6Block = (srcHex: string, srcPort: number, dstPort: number) =>
  Buffer.concat([Buffer.from(srcHex, 'hex'), Buffer.alloc(15), Buffer.from([1]), u16(srcPort), u16(dstPort)]);
