import { Redis } from 'ioredis';
import { DEFAULT_CLOSE_TIMEOUT_MS } from '../constants.js';
import type { PortErrorReporter } from '../errors.js';
import { withTimeout } from './timeout.js';

/** A connection URL (the adapter opens and owns the connection) or a client the caller owns. */
export type RedisConnection = string | Redis;

/**
 * ioredis with a budget on every step: connecting, and each command (queued ones too, so a
 * Redis outage turns into errors instead of requests that wait forever).
 */
export function createRedisClient(
  url: string,
  timeoutMs: number,
  onError: PortErrorReporter,
  name: string,
): Redis {
  const client = new Redis(url, {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 2,
    connectionName: name,
  });
  // Without a listener ioredis prints every reconnect attempt; the app's reporter decides.
  client.on('error', (e) => onError(e, `redis connection ${name}`));
  return client;
}

/** QUIT politely, then cut the socket if Redis does not answer in time. */
export async function closeRedis(client: Redis, timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
  if (client.status === 'end') return;
  try {
    await withTimeout(client.quit(), timeoutMs, 'redis QUIT');
  } catch {
    // Already closing or unreachable: nothing left to flush.
  } finally {
    client.disconnect();
  }
}

/** Escapes Redis glob metacharacters so a caller's prefix matches literally in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
