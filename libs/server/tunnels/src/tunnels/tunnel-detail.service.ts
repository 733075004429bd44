import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { User } from '@fdt/identity';
import { Authtoken, Relay, Tunnel } from '../entities/index.js';
import { RelaysService } from '../relays/relays.service.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

export interface TunnelDetail {
  tunnel: Tunnel;
  online: boolean;
  relay: Relay | null;
  relayLive: boolean;
  authtoken: (Authtoken & { owner: string | null }) | null;
}

/** One tunnel of an org with where it runs and which authtoken opened it. */
@Injectable()
export class TunnelDetailService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly relays: RelaysService,
  ) {}

  async get(orgId: string, id: string): Promise<TunnelDetail> {
    const tunnel = await this.ds.getRepository(Tunnel).findOneBy({ id, orgId });
    if (!tunnel) throw new TunnelsException(TunnelsErrorCode.TunnelNotFound, 'No such tunnel in this org.');
    const [relay, authtoken] = await Promise.all([
      tunnel.relayId ? this.ds.getRepository(Relay).findOneBy({ id: tunnel.relayId }) : null,
      tunnel.authtokenId
        ? this.ds.getRepository(Authtoken).findOneBy({ id: tunnel.authtokenId, orgId })
        : null,
    ]);
    const owner = authtoken ? await this.ds.getRepository(User).findOneBy({ id: authtoken.userId }) : null;
    const relayLive = !!relay && this.relays.isLive(relay);
    return {
      tunnel,
      online: tunnel.status === 'online' && relayLive,
      relay,
      relayLive,
      authtoken: authtoken ? Object.assign(authtoken, { owner: owner?.email ?? null }) : null,
    };
  }

  /** The online HTTP tunnel serving `name` (for replay), with its relay. */
  async onlineHttp(orgId: string, name: string): Promise<{ tunnel: Tunnel; relay: Relay } | undefined> {
    const tunnel = await this.ds.getRepository(Tunnel).findOneBy({ orgId, name, proto: 'http' });
    if (!tunnel || tunnel.status !== 'online' || !tunnel.relayId) return undefined;
    const relay = await this.ds.getRepository(Relay).findOneBy({ id: tunnel.relayId });
    return relay && this.relays.isLive(relay) ? { tunnel, relay } : undefined;
  }
}
