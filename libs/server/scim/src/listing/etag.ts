import { createHash } from 'node:crypto';
import { ScimErrorCode, ScimException } from '../errors/scim.exception.js';

/** A weak ETag over whatever identifies a version of a resource (RFC 7644 §3.14). */
export const weakEtag = (material: string): string =>
  `W/"${createHash('sha256').update(material).digest('base64url').slice(0, 22)}"`;

const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** `If-Match` with `*` or a list of tags; a mismatch is 412 and changes nothing. */
export function assertIfMatch(header: string | undefined, current: string): void {
  if (header === undefined || header.trim() === '') return;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.some((t) => opaque(t) === opaque(current))) return;
  throw new ScimException(
    ScimErrorCode.PreconditionFailed,
    `The resource has changed (its version is ${current}); read it again and retry.`,
  );
}
