import { BaseRpcContext } from '@nestjs/microservices';

/** What an agent message handler may ask about its connection: the agent's address. */
export class AgentContext extends BaseRpcContext<[string]> {
  get remoteAddress(): string {
    return this.args[0];
  }
}
