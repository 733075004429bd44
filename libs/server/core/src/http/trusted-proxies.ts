import { BlockList, isIP } from 'node:net';

/** `10.0.0.0/8`, `fd00::/8` or a single address (`192.0.2.7`, `::1`). */
export function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Whether a peer address is one of FDT_TRUSTED_PROXIES (the api hands the same list to
 * Express's `trust proxy`; servers without Express, such as the relay's listeners, use this).
 * IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, as dual-stack sockets report them) count as IPv4.
 */
export function trustedProxyMatcher(cidrs: readonly string[]): (address: string | undefined) => boolean {
  if (!cidrs.length) return () => false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4) return list.check(v4, 'ipv4');
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}
