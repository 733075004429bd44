import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './test-database.js';

/** Removes every key under `<namespace>:` for each namespace (BullMQ's keys never expire). */
export async function deleteRedisKeys(namespaces: Iterable<string>): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (const ns of namespaces) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
