// undici's Pool by its own module: `import { Pool } from 'undici'` loads all of undici (fetch,
// WebSocket, caches, mocks), 11 MiB more of the agent's memory than the Pool and its HTTP/1
// client (measured with node:net, tls and http already loaded: +15 vs +4 MiB). The version is
// pinned exactly, so the path is stable.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
