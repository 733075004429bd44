import type { Response } from 'express';

/** Sets `ETag` (and `Location` for a creation) from the resource's meta (RFC 7644 §3.1, §3.14). */
export function versioned<T extends { meta: { version: string; location: string } }>(
  res: Response,
  r: T,
  created = false,
): T {
  res.setHeader('ETag', r.meta.version);
  if (created) res.setHeader('Location', r.meta.location);
  return r;
}
