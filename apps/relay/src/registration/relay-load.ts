import { Injectable } from '@nestjs/common';

/**
 * The load this relay reports to the api with each heartbeat: agents connected now. The
 * agent transport sets it; the api weighs relay assignment by capacity minus load.
 */
@Injectable()
export class RelayLoad {
  private agents = 0;

  current(): number {
    return this.agents;
  }

  set(agents: number): void {
    this.agents = Math.max(0, Math.trunc(agents));
  }
}
