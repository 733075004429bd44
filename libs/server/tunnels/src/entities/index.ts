import { Authtoken } from './authtoken.entity.js';
import { Relay } from './relay.entity.js';
import { ReservedAddress } from './reserved-address.entity.js';
import { ReservedName } from './reserved-name.entity.js';
import { Tunnel } from './tunnel.entity.js';
import { TunnelPolicy } from './tunnel-policy.entity.js';

export { Authtoken, Relay, ReservedAddress, ReservedName, Tunnel, TunnelPolicy };
export const TUNNELS_ENTITIES = [Authtoken, ReservedName, ReservedAddress, Relay, Tunnel, TunnelPolicy];
