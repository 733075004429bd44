import { AgentError, AgentErrorCode, AuthError, type ExitCode } from '@fdt/agent';

/** A mistake in how fdt was called (exit 2); `flag` names the culprit. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly flag?: string,
  ) {
    super(message);
  }
}

export const API_KEY_HINT =
  'Create an API key (it starts with fdt_ak_): sign in and `POST /api/v1/api-keys {"name":"cli"}` (see the api docs at /api/docs), then run `fdt login --authtoken <token> --api-key <key>` or set FDT_API_KEY.';

/** No API key, or the api refused it (exit 3): the hint says how to get one. */
export class ApiKeyError extends AuthError {
  constructor(message: string) {
    super(message);
  }
}

/** What the user sees when a command fails, and the exit code (the contract in DESIGN.md). */
export interface Failure {
  exitCode: ExitCode;
  code: string;
  message: string;
  /** the next step to take */
  hint?: string;
  /** an unexpected error: a bug in fdt, not the user's doing */
  bug: boolean;
}

const AUTHTOKEN_HINT =
  "Get an authtoken from your admin's Authtokens page (or run `fdt authtoken create`), then run `fdt login --authtoken <token>` or set FDT_AUTHTOKEN.";

interface OclifLike {
  oclif?: { exit?: number };
  code?: string;
}

export function toFailure(err: unknown, ctx: { apiUrl?: string; command?: string } = {}): Failure {
  const help = `See \`fdt ${ctx.command ?? 'tunnel start'} --help\`.`;
  if (err instanceof UsageError)
    return {
      exitCode: 2,
      code: 'bad_usage',
      message: err.message,
      hint: help,
      bug: false,
    };
  if (err instanceof ApiKeyError)
    return { exitCode: 3, code: err.code, message: err.message, hint: API_KEY_HINT, bug: false };
  if (err instanceof AgentError) {
    const f: Failure = { exitCode: err.exitCode, code: err.code, message: err.message, bug: false };
    switch (err.exitCode) {
      case 2:
        return { ...f, hint: help };
      case 3:
        return { ...f, message: `Authentication failed: ${err.message}`, hint: AUTHTOKEN_HINT };
      case 4:
        return {
          ...f,
          hint:
            err.code === AgentErrorCode.NameTaken
              ? 'Choose another --name (or --domain, --remote-port), or stop the agent that holds it.'
              : 'Ask your admin about your plan and the org policies.',
        };
    }
    if (err.code === AgentErrorCode.ApiUnreachable || err.code === AgentErrorCode.ApiError) {
      return {
        ...f,
        hint: `Check that the api is running and that --api / FDT_API_URL${ctx.apiUrl ? ` (now ${ctx.apiUrl})` : ''} points at it.`,
      };
    }
    if (err.code === AgentErrorCode.VersionUnsupported)
      return { ...f, hint: 'Upgrade fdt to the version your platform runs.' };
    return f;
  }
  // oclif's own parse errors (unknown flag, missing argument, bad integer ...) are usage errors.
  const o = err as OclifLike;
  if (err instanceof Error && o.oclif?.exit === 2) {
    const message = err.message
      .replace(/\nSee more help with --help$/, '')
      .replace(/^Parsing (--[\w-]+) \n\t/, '$1: ')
      // Our repeatable flags are non-greedy, so oclif's note about their values does not apply.
      .replace(/\n\nNote: [^]*$/, '');
    return { exitCode: 2, code: 'bad_usage', message, hint: help, bug: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    exitCode: 1,
    code: 'internal_error',
    message: `fdt failed unexpectedly: ${message}`,
    hint: 'Run again with DEBUG=1 for details, and report it with that output.',
    bug: true,
  };
}
