import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MemberAccessHooks } from '@fdt/identity';
import { AuthtokensService } from './authtokens.service.js';

/**
 * A member who leaves the org or is suspended (REST removal, SCIM) loses their agent
 * authtokens in the same transaction; once it commits, relays disconnect those agents.
 */
@Injectable()
export class AuthtokenAccessHook implements OnModuleInit {
  constructor(
    private readonly hooks: MemberAccessHooks,
    private readonly authtokens: AuthtokensService,
  ) {}

  onModuleInit(): void {
    this.hooks.register({
      end: async (m, actor, userId, reason) => {
        const tokens = await this.authtokens.revokeAllOfMember(m, actor, userId, reason);
        return {
          revoked: tokens.length,
          afterCommit: tokens.length ? () => this.authtokens.publishRevoked(tokens) : undefined,
        };
      },
    });
  }
}
