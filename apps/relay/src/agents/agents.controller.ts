import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AgentPattern } from '../constants.js';
import type {
  AgentClosedMessage,
  AgentHelloMessage,
  AgentHelloOutcome,
  AgentTunnelsMessage,
} from '../transport/messages.js';
import { AgentSessionsService } from './agent-sessions.service.js';
import { HandshakeService } from './handshake.service.js';

/** The agent transport's control messages; the bytes of visitor traffic never come here. */
@Controller()
export class AgentsController {
  constructor(
    private readonly handshake: HandshakeService,
    private readonly sessions: AgentSessionsService,
  ) {}

  @MessagePattern(AgentPattern.Hello)
  hello(@Payload() m: AgentHelloMessage): Promise<AgentHelloOutcome> {
    return this.handshake.accept(m);
  }

  @MessagePattern(AgentPattern.Tunnels)
  tunnels(@Payload() m: AgentTunnelsMessage): boolean {
    this.sessions.online(m);
    return true;
  }

  @MessagePattern(AgentPattern.Closed)
  closed(@Payload() m: AgentClosedMessage): boolean {
    this.sessions.closed(m);
    return true;
  }
}
