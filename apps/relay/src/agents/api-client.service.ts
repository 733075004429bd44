import { Inject, Injectable } from '@nestjs/common';
import {
  type EdgePolicy,
  type NameLookup,
  relayNameLookupPath,
  relayTunnelPolicyPath,
  type TunnelPolicyLookup,
} from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';

const TIMEOUT_MS = 5_000;

export class ApiCallError extends Error {
  constructor(
    message: string,
    /** the api's HTTP status, when it answered */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The relay's calls to the api (besides the heartbeat): relay secret as bearer, bounded in time. */
@Injectable()
export class RelayApiClient {
  constructor(@Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig) {}

  /** Which org reserved a name (null: nobody). */
  async nameReservedBy(name: string): Promise<string | null> {
    const res = await this.call('GET', relayNameLookupPath(name));
    const body = (await res.json().catch(() => undefined)) as Partial<NameLookup> | undefined;
    if (
      !body ||
      !('reservedBy' in body) ||
      (body.reservedBy !== null && typeof body.reservedBy !== 'string')
    ) {
      throw new ApiCallError('api answered the name lookup without {reservedBy}');
    }
    return body.reservedBy ?? null;
  }

  /** The policy the org set on a tunnel name, with basic-auth verifiers (null: none set). */
  async tunnelPolicy(orgId: string, name: string): Promise<EdgePolicy | null> {
    const res = await this.call('GET', relayTunnelPolicyPath(orgId, name));
    const body = (await res.json().catch(() => undefined)) as Partial<TunnelPolicyLookup> | undefined;
    if (!body || !('policy' in body) || typeof body.policy !== 'object') {
      throw new ApiCallError('api answered the policy lookup without {policy}');
    }
    return body.policy ?? null;
  }

  /** A GET whose JSON answer the caller checks (undefined when the body is not JSON). */
  async getJson(path: string): Promise<unknown> {
    const res = await this.call('GET', path);
    return res.json().catch(() => undefined);
  }

  async post(path: string, body: unknown, signal?: AbortSignal): Promise<void> {
    const res = await this.call('POST', path, body, signal);
    await res.body?.cancel();
  }

  private async call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(`${this.config.relay.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.config.relay.secret}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'error',
      });
    } catch (e) {
      throw new ApiCallError(`api unreachable: ${(e as Error).message}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ApiCallError(`api answered ${res.status} to ${method} ${path}`, res.status);
    }
    return res;
  }
}
