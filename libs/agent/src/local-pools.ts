import net from 'node:net';
import type { Pool } from 'undici';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import type { LocalTarget } from './target.js';

export interface LocalPoolOptions {
  /** connections per local host:port */
  maxSockets: number;
  /** a connection to the local service must open within this (ms) */
  connectTimeoutMs: number;
  /** verify the certificate of an https:// local target */
  verifyLocalTls: boolean;
}

export const hostHeader = (t: LocalTarget): string =>
  net.isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;

/**
 * The keep-alive HTTP/1.1 connections to each local service: one undici `Pool` per target.
 * undici rather than `http.request` because the agent makes one local request per visitor
 * request: its dispatch API costs about half the CPU per request of Node's `ClientRequest`
 * and `Agent` (27-30 vs 48-54 µs, 1 KiB GETs on this machine) and hands the body over as
 * buffers, without a stream object per response. (Loaded by its own module: see undici-pool.d.ts.)
 */
export class LocalPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly o: LocalPoolOptions) {}

  of(t: LocalTarget): Pool {
    const origin = `${t.protocol === 'https:' ? 'https:' : 'http:'}//${hostHeader(t)}`;
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new PoolClass(origin, {
        connections: this.o.maxSockets,
        pipelining: 1,
        // The forwarder keeps its own deadline (re-armed by upload progress): none of undici's.
        headersTimeout: 0,
        bodyTimeout: 0,
        connectTimeout: this.o.connectTimeoutMs,
        connect: {
          rejectUnauthorized: this.o.verifyLocalTls,
          ...(net.isIP(t.host) ? {} : { servername: t.host }),
        },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Drops every pooled connection (requests in flight fail). */
  close(): void {
    for (const pool of this.pools.values()) void pool.destroy().catch(() => undefined);
    this.pools.clear();
  }
}
