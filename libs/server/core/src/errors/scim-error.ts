import type { Request, Response } from 'express';
import { CommonErrorCode } from './domain.exception.js';
import { toProblem } from './problem.filter.js';

// SCIM clients (Okta, Microsoft Entra) read errors only in the SCIM Error schema (RFC 7644
// §3.12), never problem+json. The SCIM lib's exception filter renders its routes' errors with
// this; `sendProblem` uses it for what happens before Nest (body parsing, rate limits).
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_MEDIA_TYPE = 'application/scim+json';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  /** the HTTP status, as a string (RFC 7644 §3.12) */
  status: string;
  scimType?: string;
  detail: string;
}

/** Whether a request path belongs to the SCIM service (`/scim/v2/...`). */
export const isScimPath = (path: string | undefined): boolean => !!path && /^\/scim(\/|\?|$)/i.test(path);

/** Any error as a SCIM Error: DomainExceptions may carry `extra.scimType`. */
export function toScimError(err: unknown): {
  status: number;
  body: ScimErrorBody;
  headers: Record<string, string>;
} {
  const { problem, headers } = toProblem(err);
  let scimType = typeof problem.scimType === 'string' ? problem.scimType : undefined;
  if (problem.code === CommonErrorCode.MalformedJson) scimType = 'invalidSyntax';
  const body: ScimErrorBody = {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(problem.status),
    detail: problem.detail,
  };
  if (scimType) body.scimType = scimType;
  return { status: problem.status, body, headers };
}

export function sendScimError(err: unknown, _req: Request, res: Response): void {
  const { status, body, headers } = toScimError(err);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).type(SCIM_MEDIA_TYPE).send(JSON.stringify(body));
}
