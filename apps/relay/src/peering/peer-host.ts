import { networkInterfaces } from 'node:os';

/**
 * The address other relays dial for this relay's peer port: the configured one
 * (FDT_RELAY_PEER_HOST: on Kubernetes, the pod IP), else the address the relay is bound to,
 * else this machine's first non-loopback address (a container's or pod's own IP). Not the
 * public host: behind a load balancer that reaches any relay, not this one.
 */
export function advertisedPeerHost(configured: string | undefined, bindHost: string | undefined): string {
  if (configured) return configured;
  if (bindHost && bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal);
  const v4 = addresses.find((a) => a?.family === 'IPv4');
  const v6 = addresses.find((a) => a?.family === 'IPv6' && !a.address.startsWith('fe80:'));
  return v4?.address ?? v6?.address ?? '127.0.0.1';
}
