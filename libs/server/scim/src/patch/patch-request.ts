import { MAX_PATCH_OPERATIONS, ScimSchema } from '../constants.js';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';
import { getCi } from '../filter/filter-match.js';
import { type PatchPath, parsePatchPath } from '../filter/filter-parser.js';
import { isObject } from './coerce.js';

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  op: PatchOpName;
  /** as the client sent it, for messages */
  rawPath?: string;
  path?: PatchPath;
  value?: unknown;
}

const syntax = (message: string) => new ScimException(ScimErrorCode.InvalidSyntax, message);

/** Whether a `schemas` value lists `urn` (URNs compare case-insensitively). */
export function listsSchema(schemas: unknown, urn: string): boolean {
  return (
    Array.isArray(schemas) &&
    schemas.some((s) => typeof s === 'string' && s.toLowerCase() === urn.toLowerCase())
  );
}

/**
 * Reads a PatchOp request (RFC 7644 §3.5.2) in the shapes Okta and Microsoft Entra send:
 * `op` in any case ("Replace", "Add"), `Operations` in any case, paths parsed up front so a
 * bad path fails the request before anything changes.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw syntax('The request body must be a PatchOp JSON object.');
  if (!listsSchema(getCi(body, 'schemas'), ScimSchema.PatchOp)) {
    throw syntax(`schemas must be ["${ScimSchema.PatchOp}"].`);
  }
  const ops = getCi(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0) throw syntax('Operations must be a non-empty array.');
  if (ops.length > MAX_PATCH_OPERATIONS) {
    throw new ScimException(
      ScimErrorCode.InvalidValue,
      `At most ${MAX_PATCH_OPERATIONS} operations per request.`,
    );
  }
  return ops.map((o, i) => {
    const n = i + 1;
    if (!isObject(o)) throw syntax(`Operation ${n} must be an object.`);
    const name = getCi(o, 'op');
    const op = typeof name === 'string' ? name.toLowerCase() : undefined;
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw syntax(`Operation ${n}: op must be "add", "remove" or "replace".`);
    }
    const rawPath = getCi(o, 'path');
    if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
      throw new ScimException(ScimErrorCode.InvalidPath, `Operation ${n}: path must be a string.`);
    }
    const value = getCi(o, 'value');
    const hasPath = typeof rawPath === 'string' && rawPath.trim() !== '';
    if (op === 'remove' && !hasPath) {
      throw new ScimException(ScimErrorCode.NoTarget, `Operation ${n}: remove needs a path.`);
    }
    if (op !== 'remove' && value === undefined) throw syntax(`Operation ${n}: ${op} needs a value.`);
    const out: PatchOperation = { op, value };
    if (hasPath) {
      out.rawPath = rawPath;
      out.path = parsePatchPath(rawPath);
    }
    return out;
  });
}
