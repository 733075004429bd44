import { HandshakeErrorCode, type HandshakeError } from '@fdt/protocol';

// Every failure the agent reports is an AgentError with a stable code and the CLI exit code
// it maps to (the CLI contract: 1 otherwise, 2 bad usage, 3 authentication, 4 refused).
export const AgentErrorCode = {
  AuthFailed: 'auth_failed',
  NameTaken: 'name_taken',
  PlanLimit: 'plan_limit',
  PolicyDenied: 'policy_denied',
  VersionUnsupported: 'version_unsupported',
  InvalidOptions: 'invalid_options',
  ApiUnreachable: 'api_unreachable',
  ApiError: 'api_error',
  RelayUnreachable: 'relay_unreachable',
  RelayUntrusted: 'relay_untrusted',
  HandshakeFailed: 'handshake_failed',
  ConnectionLost: 'connection_lost',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode] | HandshakeErrorCode;

export type ExitCode = 1 | 2 | 3 | 4;

export class AgentError extends Error {
  override readonly name: string = 'AgentError';
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly opts: {
      exitCode?: ExitCode;
      /** worth another attempt later (network trouble, relay restarting) */
      retryable?: boolean;
      tunnelId?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
  }

  get exitCode(): ExitCode {
    return this.opts.exitCode ?? 1;
  }

  get retryable(): boolean {
    return this.opts.retryable ?? false;
  }

  get tunnelId(): string | undefined {
    return this.opts.tunnelId;
  }
}

/** The authtoken or the session token was refused (exit 3). */
export class AuthError extends AgentError {
  override readonly name = 'AuthError';
  constructor(message: string, cause?: unknown) {
    super(AgentErrorCode.AuthFailed, message, { exitCode: 3, cause });
  }
}

/** The relay refused a tunnel: name taken, plan limit, policy (exit 4). */
export class RefusedError extends AgentError {
  override readonly name = 'RefusedError';
  constructor(code: AgentErrorCode, message: string, tunnelId?: string) {
    super(code, message, { exitCode: 4, tunnelId });
  }
}

/** Options that can never work (bad address, bad CIDR ...): exit 2. */
export class InvalidOptionsError extends AgentError {
  override readonly name = 'InvalidOptionsError';
  constructor(message: string) {
    super(AgentErrorCode.InvalidOptions, message, { exitCode: 2 });
  }
}

const REFUSALS = new Set<string>([
  HandshakeErrorCode.NameTaken,
  HandshakeErrorCode.PlanLimit,
  HandshakeErrorCode.PolicyDenied,
]);
// The relay's own trouble, or a garbled exchange: another attempt may well succeed.
const TRANSIENT = new Set<string>([
  HandshakeErrorCode.Internal,
  HandshakeErrorCode.Timeout,
  HandshakeErrorCode.MalformedFrame,
  HandshakeErrorCode.FrameTooLarge,
  HandshakeErrorCode.RelayFull,
]);

/** The typed error for a relay's handshake `error` frame. */
export function handshakeError(reply: Pick<HandshakeError, 'code' | 'message' | 'tunnelId'>): AgentError {
  const message = `relay refused the connection: ${reply.message} (${reply.code})`;
  if (reply.code === HandshakeErrorCode.AuthFailed) return new AuthError(message);
  if (REFUSALS.has(reply.code)) return new RefusedError(reply.code, message, reply.tunnelId);
  return new AgentError(reply.code, message, {
    retryable: TRANSIENT.has(reply.code),
    tunnelId: reply.tunnelId,
  });
}
