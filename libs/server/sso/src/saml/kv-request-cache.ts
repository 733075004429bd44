import type { CacheItem, CacheProvider } from '@node-saml/passport-saml';
import type { KeyValueStore } from '@fdt/ports';

// Request ids are ours (node-saml's `_` + 40 hex digits); an InResponseTo longer than this
// is not one of them, and must not reach the store as a key.
const MAX_ID_LENGTH = 128;

/**
 * node-saml's InResponseTo cache on the key-value port, so that the replica that receives
 * the IdP's response knows the request another replica sent (Redis when scaled). Removal is
 * atomic (take): a request id is honoured once.
 */
export class KvRequestCache implements CacheProvider {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    await this.kv.set(this.prefix + key, value, this.ttlSeconds);
    return { value, createdAt: Date.now() };
  }

  async getAsync(key: string): Promise<string | null> {
    if (!key || key.length > MAX_ID_LENGTH) return null;
    return (await this.kv.get(this.prefix + key)) ?? null;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (!key || key.length > MAX_ID_LENGTH) return null;
    return (await this.kv.take(this.prefix + key)) ?? null;
  }
}
