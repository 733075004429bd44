import type { Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { KeyValueStore } from '@fdt/ports';
import { ACME_TLS_ALPN_PROTOCOL, type AcmeTlsAlpnAnswer, acmeTlsAlpnKey } from '@fdt/protocol';
import { KV_STORE } from '@fdt/server-core/edge';

// Challenge certificates held between the KV lookup and the handshake that uses them.
const HELD_MAX = 256;
const HELD_MS = 30_000;

/**
 * Answers ACME TLS-ALPN-01 validation (RFC 8737) on the HTTPS port: a ClientHello for a host
 * with `acme-tls/1` in its ALPN, while the worker has left a challenge certificate for that
 * host in the KV store, completes a handshake with that certificate and is closed. Any other
 * connection is left to the usual front (passthrough or termination).
 */
@Injectable()
export class TlsAlpn01Responder implements OnApplicationShutdown {
  private readonly logger = new Logger(TlsAlpn01Responder.name);
  private readonly held = new Map<string, { ctx: SecureContext; until: number }>();
  private readonly server: Server;

  constructor(@Inject(KV_STORE) private readonly kv: KeyValueStore) {
    this.server = createServer(
      {
        ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
        SNICallback: (name, cb) => {
          const held = this.held.get(name.toLowerCase());
          if (held && held.until > Date.now()) cb(null, held.ctx);
          else cb(new Error('no TLS-ALPN-01 challenge for this name'));
        },
        handshakeTimeout: 10_000,
      },
      // The validation is the handshake itself: nothing is sent after it.
      (s) => s.end(),
    );
    // Node reports a TLS failure here and leaves the socket open, the handshake timeout
    // included: without the destroy, a client that goes silent after its ClientHello would
    // keep the connection until it leaves.
    this.server.on('tlsClientError', (_e: Error, socket: TLSSocket) => socket.destroy());
  }

  /**
   * Takes the connection (its ClientHello already read into `head`) when a challenge for
   * `servername` is pending; false when it is not ours.
   */
  async answer(socket: Socket, servername: string, head: Buffer): Promise<boolean> {
    let raw: string | undefined;
    try {
      raw = await this.kv.get(acmeTlsAlpnKey(servername));
    } catch (e) {
      this.logger.warn(`TLS-ALPN-01 lookup failed: ${(e as Error).message}`);
    }
    if (!raw) return false;
    try {
      const answer = JSON.parse(raw) as AcmeTlsAlpnAnswer;
      this.hold(servername, createSecureContext({ cert: answer.certPem, key: answer.keyPem }));
    } catch (e) {
      this.logger.warn(`TLS-ALPN-01 answer for ${servername} unusable: ${(e as Error).message}`);
      return false;
    }
    socket.unshift(head);
    this.server.emit('connection', socket);
    return true;
  }

  onApplicationShutdown(): void {
    this.server.close();
  }

  private hold(servername: string, ctx: SecureContext): void {
    const now = Date.now();
    for (const [name, h] of this.held) if (h.until <= now) this.held.delete(name);
    if (this.held.size >= HELD_MAX) {
      const oldest = this.held.keys().next().value;
      if (oldest !== undefined) this.held.delete(oldest);
    }
    this.held.set(servername.toLowerCase(), { ctx, until: now + HELD_MS });
  }
}
