import { PortLimitError } from '../errors.js';
import { assertName, assertPositive } from '../shared/validate.js';

/** Refuses an empty or oversize key, a TTL that is not positive, or a value over `maxValueBytes`. */
export function assertKvArgs(key: string, value: string, ttlSeconds: number, maxValueBytes: number): void {
  assertName('key', key);
  assertPositive('ttlSeconds', ttlSeconds);
  if (typeof value !== 'string') throw new PortLimitError('value must be a string');
  const bytes = Buffer.byteLength(value);
  if (bytes > maxValueBytes) {
    throw new PortLimitError(`value of ${bytes} bytes exceeds the limit of ${maxValueBytes}`);
  }
}
