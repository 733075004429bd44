/**
 * The base of every domain error: a stable machine-readable `code`, the HTTP status it maps
 * to, and a message that tells the user what to do next. Each domain lib declares its own
 * codes; the problem filter turns any DomainException into RFC 9457 problem+json.
 */
export class DomainException extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Codes shared by every app (the transport's own errors). */
export const CommonErrorCode = {
  ValidationFailed: 'validation_failed',
  MalformedJson: 'malformed_json',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  RateLimited: 'rate_limited',
  Conflict: 'conflict',
  Internal: 'internal_error',
  /** a dependency (the database) cannot be reached for now: 503 with Retry-After */
  Unavailable: 'service_unavailable',
} as const;

export const notFound = (what: string) =>
  new DomainException(CommonErrorCode.NotFound, 404, `${what} was not found.`);
