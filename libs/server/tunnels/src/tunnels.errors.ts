import { DomainException } from '@fdt/server-core';

export const TunnelsErrorCode = {
  AuthFailed: 'auth_failed',
  AuthtokenNotFound: 'authtoken_not_found',
  NameTaken: 'name_taken',
  InvalidName: 'invalid_name',
  AddressTaken: 'address_taken',
  AddressOutOfRange: 'address_out_of_range',
  ReservationNotFound: 'reservation_not_found',
  NoRelayAvailable: 'no_relay_available',
  RelayAuthFailed: 'relay_auth_failed',
  InvalidPolicy: 'invalid_policy',
  TunnelNotFound: 'tunnel_not_found',
  RequestNotFound: 'request_not_found',
  ReplayBodyTruncated: 'replay_body_truncated',
  ReplayFailed: 'replay_failed',
  TunnelOffline: 'tunnel_offline',
  NotPlatformOperator: 'not_platform_operator',
  RelayNotFound: 'relay_not_found',
  /** an org's reserved names or TCP ports are at the plan's limit */
  PlanLimit: 'plan_limit',
} as const;
export type TunnelsErrorCode = (typeof TunnelsErrorCode)[keyof typeof TunnelsErrorCode];

const STATUS: Record<TunnelsErrorCode, number> = {
  auth_failed: 401,
  authtoken_not_found: 404,
  name_taken: 409,
  invalid_name: 400,
  address_taken: 409,
  address_out_of_range: 400,
  reservation_not_found: 404,
  no_relay_available: 503,
  relay_auth_failed: 401,
  invalid_policy: 400,
  tunnel_not_found: 404,
  request_not_found: 404,
  replay_body_truncated: 409,
  replay_failed: 502,
  tunnel_offline: 409,
  not_platform_operator: 403,
  relay_not_found: 404,
  plan_limit: 403,
};

export class TunnelsException extends DomainException {
  constructor(code: TunnelsErrorCode, message: string) {
    super(code, STATUS[code], message);
  }
}
