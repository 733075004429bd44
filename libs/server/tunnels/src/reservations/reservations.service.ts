import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { EntitlementsService } from '@fdt/billing';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { ReservedAddress, ReservedName } from '../entities/index.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';

// One DNS label; the platform's own host names (FDT_RESERVED_SUBDOMAINS) are not for reservation.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const isUniqueViolation = (e: unknown) =>
  e instanceof QueryFailedError && (e.driverError as { code?: string })?.code === '23505';

@Injectable()
export class ReservationsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly entitlements: EntitlementsService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  listNames(orgId: string): Promise<ReservedName[]> {
    return this.ds.getRepository(ReservedName).find({ where: { orgId }, order: { name: 'ASC' } });
  }

  async reserveName(
    actor: Actor,
    rawName: string,
    tlsMode: 'terminate' | 'passthrough' = 'terminate',
  ): Promise<ReservedName> {
    const name = rawName.trim().toLowerCase();
    if (!LABEL.test(name)) {
      throw new TunnelsException(
        TunnelsErrorCode.InvalidName,
        `"${rawName}" is not a usable tunnel name: use 1-63 letters, digits and inner hyphens.`,
      );
    }
    if (this.config.reservedSubdomains.includes(name)) {
      throw new TunnelsException(
        TunnelsErrorCode.InvalidName,
        `"${name}" is one of the platform's own host names; pick another.`,
      );
    }
    try {
      return await this.ds.transaction(async (m) => {
        await this.withinPlan(m, actor.orgId, 'reserved_names');
        const row = await m.getRepository(ReservedName).save({ orgId: actor.orgId, name, tlsMode });
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'reserved_name.created',
          target: { type: 'reserved_name', id: row.id },
          summary: { name, host: `${name}.${this.config.baseDomain}`, tlsMode },
        });
        return row;
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new TunnelsException(
          TunnelsErrorCode.NameTaken,
          `The name "${name}" is already reserved; pick another.`,
        );
      throw e;
    }
  }

  async releaseName(actor: Actor, id: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const row = await m.getRepository(ReservedName).findOneBy({ id, orgId: actor.orgId });
      if (!row)
        throw new TunnelsException(
          TunnelsErrorCode.ReservationNotFound,
          'No such reserved name in this org.',
        );
      await m.getRepository(ReservedName).delete({ id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'reserved_name.deleted',
        target: { type: 'reserved_name', id },
        summary: { name: row.name },
      });
    });
  }

  listAddresses(orgId: string): Promise<ReservedAddress[]> {
    return this.ds.getRepository(ReservedAddress).find({ where: { orgId }, order: { port: 'ASC' } });
  }

  /** Reserves the given TCP port, or the lowest free one of the pool. */
  async reserveAddress(actor: Actor, port?: number): Promise<ReservedAddress> {
    const { first, last } = this.config.relay.tcpPorts;
    if (port !== undefined && (port < first || port > last)) {
      throw new TunnelsException(TunnelsErrorCode.AddressOutOfRange, `TCP ports come from ${first}-${last}.`);
    }
    try {
      return await this.ds.transaction(async (m) => {
        await this.withinPlan(m, actor.orgId, 'reserved_addresses');
        let chosen = port;
        if (chosen === undefined) {
          const [row] = await m.query(
            `SELECT p AS port FROM generate_series($1::int, $2::int) p
             WHERE NOT EXISTS (SELECT 1 FROM reserved_addresses r WHERE r.port = p) ORDER BY p LIMIT 1`,
            [first, last],
          );
          if (!row)
            throw new TunnelsException(
              TunnelsErrorCode.AddressTaken,
              'Every TCP port of the pool is reserved.',
            );
          chosen = Number(row.port);
        }
        const saved = await m.getRepository(ReservedAddress).save({ orgId: actor.orgId, port: chosen });
        await this.audit.record(m, {
          orgId: actor.orgId,
          actor,
          action: 'reserved_address.created',
          target: { type: 'reserved_address', id: saved.id },
          summary: { port: chosen },
        });
        return saved;
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new TunnelsException(TunnelsErrorCode.AddressTaken, `TCP port ${port} is already reserved.`);
      throw e;
    }
  }

  /**
   * Refuses a reservation past the org's plan (`plan_limit`, from billing). The per-org
   * advisory lock (held to the end of the transaction) makes concurrent reservations of one
   * org count in turn.
   */
  private async withinPlan(
    m: EntityManager,
    orgId: string,
    table: 'reserved_names' | 'reserved_addresses',
  ): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`fdt:${table}:${orgId}`]);
    const [row] = await m.query(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`, [orgId]);
    const key = table === 'reserved_names' ? 'maxReservedNames' : 'maxReservedTcpPorts';
    await this.entitlements.assertWithin(orgId, key, Number(row?.n ?? 0), 1, m);
  }

  async releaseAddress(actor: Actor, id: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const row = await m.getRepository(ReservedAddress).findOneBy({ id, orgId: actor.orgId });
      if (!row)
        throw new TunnelsException(
          TunnelsErrorCode.ReservationNotFound,
          'No such reserved address in this org.',
        );
      await m.getRepository(ReservedAddress).delete({ id });
      await this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'reserved_address.deleted',
        target: { type: 'reserved_address', id },
        summary: { port: row.port },
      });
    });
  }
}
