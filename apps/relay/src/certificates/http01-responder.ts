import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { KeyValueStore } from '@fdt/ports';
import { ACME_CHALLENGE_PATH, acmeHttp01Key } from '@fdt/protocol';
import { KV_STORE } from '@fdt/server-core/edge';

// RFC 8555 tokens are base64url, at least 128 bits; anything else is not ours to look up.
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Answers ACME HTTP-01 validation (`GET /.well-known/acme-challenge/<token>`) on the HTTP port
 * for any host, from the key authorizations the worker leaves in the KV store, so that every
 * relay behind the load balancer answers. Requests for tokens we do not hold go on to the
 * tunnel as usual (an agent may run its own ACME client).
 */
@Injectable()
export class Http01Responder {
  private readonly logger = new Logger(Http01Responder.name);

  constructor(@Inject(KV_STORE) private readonly kv: KeyValueStore) {}

  /** The one check on the hot path: a string prefix. */
  static wants(req: IncomingMessage): boolean {
    return req.method === 'GET' && req.url !== undefined && req.url.startsWith(ACME_CHALLENGE_PATH);
  }

  /** Answers, or calls `next` when the token is not one of ours. */
  async answer(req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> {
    const token = (req.url ?? '').slice(ACME_CHALLENGE_PATH.length);
    let keyAuthorization: string | undefined;
    if (TOKEN.test(token)) {
      try {
        keyAuthorization = await this.kv.get(acmeHttp01Key(token));
      } catch (e) {
        this.logger.warn(`ACME challenge lookup failed: ${(e as Error).message}`);
      }
    }
    if (keyAuthorization === undefined) return next();
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end(keyAuthorization);
  }
}
