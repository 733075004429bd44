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
};

export class TunnelsException extends DomainException {
  constructor(code: TunnelsErrorCode, message: string) {
    super(code, STATUS[code], message);
  }
}
