// Message patterns the agent transport sends to its @MessagePattern handlers (agents.controller.ts).
export const AgentPattern = {
  /** a decoded hello frame: verify, allocate, answer welcome or error */
  Hello: 'agent.hello',
  /** the session's multiplexed link is up: its tunnels go online */
  Tunnels: 'agent.tunnels',
  /** the session's link closed: its tunnels go offline */
  Closed: 'agent.closed',
} as const;
