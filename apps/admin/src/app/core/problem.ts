import { isProblem, type Problem } from '@fdt/api-client';

/** An api error (problem+json) or a network failure, with a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

export function toApiError(error: unknown, response?: Response): ApiError {
  if (error instanceof ApiError) return error;
  if (isProblem(error)) {
    return new ApiError(
      error.status,
      error.code,
      error.detail ?? error.title ?? 'The request failed.',
      error,
    );
  }
  if (response) {
    return new ApiError(
      response.status,
      'http_error',
      `The server answered ${response.status} ${response.statusText}.`,
    );
  }
  return new ApiError(
    0,
    'network_error',
    'The server could not be reached. Check your connection and try again.',
  );
}

/** The message to show for any error thrown while talking to the api. */
export function errorMessage(error: unknown): string {
  return toApiError(error).message;
}

/** `data` of an openapi-fetch result, or an ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    throw toApiError(e);
  }
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.error, result.response);
  return result.data as T;
}
