import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '@fdt/server-core';

/** What one hook ended: how many credentials, and what to do once the transaction commits. */
export interface MemberAccessEnded {
  revoked: number;
  /** e.g. telling relays to disconnect agents: only after the commit, or a reconnect could still get in */
  afterCommit?: () => Promise<void>;
}

/** Access a member holds outside identity (agent authtokens, ...) that ends with the membership. */
export interface MemberAccessHook {
  end(m: EntityManager, actor: Actor, userId: string, reason: string): Promise<MemberAccessEnded>;
}

/**
 * Where feature libs that build on identity (tunnels: authtokens) hook into a member's
 * removal or suspension: identity cannot import them, they register here at start. Every
 * path that ends a membership (REST removal, SCIM deletion and deactivation) calls `end`.
 */
@Injectable()
export class MemberAccessHooks {
  private readonly hooks: MemberAccessHook[] = [];

  register(hook: MemberAccessHook): void {
    this.hooks.push(hook);
  }

  /** Runs every hook in the caller's transaction; call `afterCommit` once it has committed. */
  async end(
    m: EntityManager,
    actor: Actor,
    userId: string,
    reason: string,
  ): Promise<{ revoked: number; afterCommit: () => Promise<void> }> {
    let revoked = 0;
    const after: Array<() => Promise<void>> = [];
    for (const h of this.hooks) {
      const r = await h.end(m, actor, userId, reason);
      revoked += r.revoked;
      if (r.afterCommit) after.push(r.afterCommit);
    }
    return {
      revoked,
      afterCommit: async () => {
        for (const a of after) await a();
      },
    };
  }
}
