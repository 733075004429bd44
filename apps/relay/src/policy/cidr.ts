import { BlockList, isIP } from 'node:net';

/** `::ffff:1.2.3.4` (an IPv4 visitor on a dual-stack socket) -> `1.2.3.4`; drops a zone id. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return '';
  const a = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? mapped[1] : a;
}

export class CidrError extends Error {}

/** A list of IPv4 and IPv6 CIDRs (or bare addresses), matched with Node's BlockList. */
export class CidrSet {
  private readonly list = new BlockList();

  private constructor(readonly size: number) {}

  static parse(cidrs: readonly string[] = []): CidrSet {
    const set = new CidrSet(cidrs.length);
    for (const raw of cidrs) {
      const [addr, bits, extra] = raw.trim().split('/');
      const family = isIP(addr ?? '');
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (!family || extra !== undefined || !/^\d{1,3}$/.test(bits ?? String(max)) || prefix > max) {
        throw new CidrError(`not a CIDR: ${raw} (expected e.g. 10.0.0.0/8 or 2001:db8::/32)`);
      }
      set.list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    return set;
  }

  contains(address: string): boolean {
    const ip = normalizeIp(address);
    const family = isIP(ip);
    if (!family) return false;
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
