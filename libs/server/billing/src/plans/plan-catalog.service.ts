import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { type Actor, PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core';
import { BillingErrorCode, BillingException } from '../billing.errors.js';
import { FREE_PLAN_ID } from '../constants.js';
import { PlanChangeFanout } from './plan-change-fanout.js';
import { Plan } from './plan.entity.js';
import type { PlanFeatures, PlanLimits, PlanPrices } from './plan.types.js';

const isUniqueViolation = (e: unknown) =>
  e instanceof QueryFailedError && (e.driverError as { code?: string })?.code === '23505';

/** The free plan's limits that FDT_PLAN_* set: the environment decides them, not the catalog. */
export const CONFIG_BACKED_LIMITS = [
  'maxTunnels',
  'maxConnsPerTunnel',
  'maxReservedNames',
  'maxReservedTcpPorts',
] as const satisfies readonly (keyof PlanLimits)[];

export interface PlanInput {
  name?: string;
  sort?: number;
  active?: boolean;
  limits?: Partial<PlanLimits>;
  features?: Partial<PlanFeatures>;
  prices?: PlanPrices;
}

/**
 * The plan catalog. The migration seeds free, pro, business and enterprise; platform
 * operators edit them and add more (plans are never deleted: subscriptions and the ledger
 * refer to them; an inactive plan is no longer offered).
 *
 * The free plan's tunnel, connection, reserved-name and TCP-port limits are FDT_PLAN_* (read
 * on every resolve, so a changed environment applies at the next start with no catalog
 * edit): that keeps installs that charge nobody working exactly as before billing existed.
 */
@Injectable()
export class PlanCatalogService {
  private readonly log = new Logger(PlanCatalogService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly fanout: PlanChangeFanout,
  ) {}

  /** Cheapest first; `activeOnly`: what members may choose from. */
  async list(activeOnly: boolean, m: EntityManager = this.ds.manager): Promise<Plan[]> {
    const plans = await m
      .getRepository(Plan)
      .find({ where: activeOnly ? { active: true } : {}, order: { sort: 'ASC', id: 'ASC' } });
    return plans.map((p) => this.resolved(p));
  }

  async get(id: string, m: EntityManager = this.ds.manager): Promise<Plan> {
    const plan = await this.find(id, m);
    if (!plan) throw new BillingException(BillingErrorCode.PlanNotFound, `No plan "${id}" in the catalog.`);
    return plan;
  }

  async find(id: string, m: EntityManager = this.ds.manager): Promise<Plan | null> {
    const plan = await m.getRepository(Plan).findOneBy({ id });
    return plan ? this.resolved(plan) : null;
  }

  /** The free plan as the installation defines it; built from config if its row is missing. */
  async free(m: EntityManager = this.ds.manager): Promise<Plan> {
    return (await this.find(FREE_PLAN_ID, m)) ?? this.resolved(this.builtInFree());
  }

  async create(
    actor: Actor,
    id: string,
    input: PlanInput & { name: string; limits: PlanLimits; features: PlanFeatures },
  ): Promise<Plan> {
    try {
      // insert, not save: save would quietly update an existing plan of that id.
      const repo = this.ds.getRepository(Plan);
      await repo.insert({
        id,
        name: input.name,
        sort: input.sort ?? 100,
        active: input.active ?? true,
        limits: input.limits,
        features: input.features,
        prices: input.prices ?? {},
      });
      const saved = await repo.findOneByOrFail({ id });
      // Platform state, not an org's: logged, not in an org's audit chain.
      this.log.log(`${actor.label ?? actor.userId} created plan ${id}: ${JSON.stringify(input)}`);
      return this.resolved(saved);
    } catch (e) {
      if (isUniqueViolation(e))
        throw new BillingException(BillingErrorCode.PlanExists, `A plan "${id}" already exists.`);
      throw e;
    }
  }

  /** Merges: limits, features and prices given replace those keys only. */
  async update(actor: Actor, id: string, input: PlanInput): Promise<Plan> {
    if (id === FREE_PLAN_ID) {
      const fromConfig = CONFIG_BACKED_LIMITS.filter((k) => input.limits && k in input.limits);
      if (fromConfig.length) {
        throw new BillingException(
          BillingErrorCode.PlanInvalid,
          `The free plan's ${fromConfig.join(', ')} come from the FDT_PLAN_* settings of the installation; change those instead.`,
          { fields: fromConfig },
        );
      }
      if (input.active === false) {
        throw new BillingException(
          BillingErrorCode.PlanInvalid,
          'The free plan cannot be deactivated: it is the plan of every org without a subscription.',
        );
      }
    }
    const saved = await this.ds.transaction(async (m) => {
      const plan = await m
        .getRepository(Plan)
        .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!plan) throw new BillingException(BillingErrorCode.PlanNotFound, `No plan "${id}" in the catalog.`);
      const next: Plan = {
        ...plan,
        name: input.name ?? plan.name,
        sort: input.sort ?? plan.sort,
        active: input.active ?? plan.active,
        limits: { ...plan.limits, ...input.limits },
        features: { ...plan.features, ...input.features },
        prices: input.prices ? { ...plan.prices, ...input.prices } : plan.prices,
      };
      return m.getRepository(Plan).save(next);
    });
    this.log.log(`${actor.label ?? actor.userId} updated plan ${id}: ${JSON.stringify(input)}`);
    // After the commit: relays re-read the limits of every org on the plan.
    if (input.limits || input.features || input.active !== undefined) await this.fanout.announce(id);
    return this.resolved(saved);
  }

  /** The plan as orgs get it: free with the FDT_PLAN_* limits laid over its stored ones. */
  private resolved(plan: Plan): Plan {
    if (plan.id !== FREE_PLAN_ID) return plan;
    const fromConfig = Object.fromEntries(CONFIG_BACKED_LIMITS.map((k) => [k, this.config.plan[k]]));
    return { ...plan, limits: { ...plan.limits, ...fromConfig } };
  }

  private builtInFree(): Plan {
    return Object.assign(new Plan(), {
      id: FREE_PLAN_ID,
      name: 'Free',
      sort: 0,
      active: true,
      limits: {
        ...this.config.plan,
        maxDomains: null,
        maxMembers: null,
        bandwidthBytesPerMonth: null,
      },
      features: { sso: true, scim: true, inspectionRetentionHours: 24, regions: null },
      prices: {},
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
  }
}
