import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CommonErrorCode, DomainException } from './domain.exception.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const STATUS_CODES: Record<number, string> = {
  400: CommonErrorCode.ValidationFailed,
  401: CommonErrorCode.Unauthenticated,
  403: CommonErrorCode.Forbidden,
  404: CommonErrorCode.NotFound,
  405: CommonErrorCode.MethodNotAllowed,
  409: CommonErrorCode.Conflict,
  413: CommonErrorCode.PayloadTooLarge,
  415: CommonErrorCode.UnsupportedMediaType,
  429: CommonErrorCode.RateLimited,
};

// A database (or another dependency) that cannot be reached right now is weather, not a bug:
// connection errors from the socket, SQLSTATE classes 08 (connection exception) and 57P
// (server shutting down, crashed, starting), and node-postgres' own wording for a connection
// that died or never came.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
const UNREACHABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down|in recovery mode)/i;
const RETRY_AFTER_SECONDS = '5';

/** Whether `err` says a dependency is unreachable (a TypeORM error carries the driver's in `driverError`). */
export function isDependencyUnavailable(err: unknown): boolean {
  for (const e of [err, (err as { driverError?: unknown } | null)?.driverError]) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^(08|57P)/.test(code))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
  }
  return false;
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** Turns any error into one RFC 9457 problem+json shape, with a stable `code`. */
export function toProblem(
  err: unknown,
  instance?: string,
): { problem: Problem; headers: Record<string, string> } {
  let status = 500;
  let code: string = CommonErrorCode.Internal;
  let detail = 'An unexpected error occurred. It has been logged; try again later.';
  let extra: Record<string, unknown> = {};
  let headers: Record<string, string> = {};

  if (err instanceof DomainException) {
    ({ status, code } = err);
    detail = err.message;
    extra = err.extra;
    headers = err.headers;
  } else if (err instanceof HttpException) {
    status = err.getStatus();
    code = STATUS_CODES[status] ?? (status >= 500 ? CommonErrorCode.Internal : 'http_error');
    const body = err.getResponse();
    if (typeof body === 'object' && body !== null && 'message' in body) {
      const message = (body as { message: unknown }).message;
      if (Array.isArray(message)) {
        detail = 'The request is not valid; see `errors`.';
        extra = { errors: message };
      } else {
        detail = String(message);
      }
    } else {
      detail = String(body);
    }
  } else if (isDependencyUnavailable(err)) {
    status = 503;
    code = CommonErrorCode.Unavailable;
    detail = 'The service cannot reach a system it depends on (its database) right now; retry shortly.';
    headers = { 'Retry-After': RETRY_AFTER_SECONDS };
  } else if (typeof err === 'object' && err !== null && typeof (err as BodyParserError).type === 'string') {
    // body-parser errors (express): malformed JSON, oversize bodies, bad charsets.
    const e = err as BodyParserError;
    status = e.status ?? 400;
    if (e.type === 'entity.parse.failed') {
      code = CommonErrorCode.MalformedJson;
      detail = 'The request body is not valid JSON.';
    } else if (e.type === 'entity.too.large') {
      code = CommonErrorCode.PayloadTooLarge;
      detail = 'The request body is larger than this endpoint accepts.';
    } else {
      code = STATUS_CODES[status] ?? 'bad_request';
      detail = 'The request body could not be read.';
    }
  }
  const problem: Problem = {
    type: `https://fdt.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
  if (instance) problem.instance = instance;
  return { problem, headers };
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const { problem, headers } = toProblem(err, req.originalUrl?.split('?')[0]);
    if (problem.status >= 500) this.logger.error({ err }, 'unhandled error');
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
