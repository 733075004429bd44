import type { TunnelProto } from '@fdt/protocol';
import { AgentClient, type AgentClientOptions, type TunnelInfo, type TunnelSpec } from './agent-client.js';
import { agentEnvDefaults } from './config/agent.config.js';
import type { AgentEvents, ClosedEvent } from './events.js';

export interface ForwardOptions
  extends Omit<TunnelSpec, 'proto' | 'id'>, Omit<AgentClientOptions, 'tunnels' | 'authtoken' | 'apiUrl'> {
  /** default `http` */
  proto?: TunnelProto;
  /** default: the FDT_AUTHTOKEN environment variable */
  authtoken?: string;
  /** default: FDT_API_URL, else http://localhost:3000 */
  apiUrl?: string;
}

/** One tunnel opened by `forward()`. */
export class Listener {
  constructor(
    /** the session behind this tunnel (also usable for several tunnels: see AgentClient) */
    readonly client: AgentClient,
    private readonly id: string,
  ) {}

  /** The public URL, e.g. `http://my-app.localhost:8080` or `tcp://localhost:20001`. */
  url(): string {
    return this.info().url;
  }

  /** Every public URL (http tunnels answer on HTTP and HTTPS). */
  urls(): string[] {
    return this.info().urls;
  }

  info(): TunnelInfo {
    const t = this.client.tunnels().find((x) => x.id === this.id);
    // forward() resolves only once the tunnel is granted, and grants are never withdrawn.
    if (!t) throw new Error(`tunnel ${this.id} is not online`);
    return t;
  }

  /** Stops the tunnel; in-flight requests get up to `closeTimeoutMs` to finish. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Resolves when the tunnel stops for good (after close(), or with the error it gave up on). */
  closed(): Promise<ClosedEvent> {
    return this.client.wait();
  }

  on<K extends keyof AgentEvents>(event: K, listener: (...args: AgentEvents[K]) => void): this {
    this.client.on(event as keyof AgentEvents, listener as (...args: AgentEvents[keyof AgentEvents]) => void);
    return this;
  }

  once<K extends keyof AgentEvents>(event: K, listener: (...args: AgentEvents[K]) => void): this {
    this.client.once(
      event as keyof AgentEvents,
      listener as (...args: AgentEvents[keyof AgentEvents]) => void,
    );
    return this;
  }

  off<K extends keyof AgentEvents>(event: K, listener: (...args: AgentEvents[K]) => void): this {
    this.client.off(
      event as keyof AgentEvents,
      listener as (...args: AgentEvents[keyof AgentEvents]) => void,
    );
    return this;
  }
}

/**
 * Opens one tunnel to `addr` and resolves once it is online:
 * `const l = await forward({ addr: 3000 }); console.log(l.url())`.
 */
export async function forward(options: ForwardOptions): Promise<Listener> {
  const env = agentEnvDefaults();
  const {
    addr,
    proto = 'http',
    name,
    domain,
    remotePort,
    basicAuth,
    allowCidrs,
    denyCidrs,
    maxConns,
    inspect,
    authtoken,
    apiUrl,
    ...client
  } = options;
  const spec: TunnelSpec = {
    proto,
    addr,
    name,
    domain,
    remotePort,
    basicAuth,
    allowCidrs,
    denyCidrs,
    maxConns,
    inspect,
  };
  const agent = new AgentClient({
    ...client,
    authtoken: authtoken ?? env.authtoken ?? '',
    apiUrl: apiUrl ?? env.apiUrl,
    tunnels: [spec],
  });
  const [info] = await agent.start();
  if (!info) throw new Error('the relay granted no tunnel');
  return new Listener(agent, info.id);
}
