import { createAgentSession, type AgentSessionGrant, type SessionRequest } from './session-api.js';

/** Sessions are re-exchanged this long (ms) before their token expires. */
const TOKEN_MARGIN_MS = 60_000;

/**
 * The session the link loop dials with: the authtoken exchanged at the api for a short-lived
 * token and a relay assignment, again when the token nears its expiry or when asked to.
 */
export class SessionGrants {
  private grant: AgentSessionGrant | undefined;

  constructor(private readonly request: SessionRequest) {}

  /** Who the agent runs as, per the last grant (older apis say nothing). */
  get account(): AgentSessionGrant['account'] {
    return this.grant?.account;
  }

  /** The grant to dial with; `fresh` when it was exchanged just now. */
  async current(forceExchange: boolean): Promise<{ grant: AgentSessionGrant; fresh: boolean }> {
    const grant = this.grant;
    if (!grant || forceExchange || grant.expiresAt.getTime() - Date.now() < TOKEN_MARGIN_MS)
      return { grant: await this.exchange(), fresh: true };
    return { grant, fresh: false };
  }

  async exchange(): Promise<AgentSessionGrant> {
    this.grant = await createAgentSession(this.request);
    return this.grant;
  }
}
