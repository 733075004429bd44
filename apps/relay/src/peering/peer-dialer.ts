import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { encodeFrame } from '@fdt/protocol';
import { PLATFORM_CONFIG, type PlatformConfig } from '@fdt/server-core/edge';
import { normalizeIp } from '../policy/cidr.js';
import { MAX_PREAMBLE_BYTES, type PeerVisitor, preambleKey, signPreamble } from './peer-preamble.js';
import { PeerTls } from './peer-tls.js';
import type { PeerAddress } from './registry-keys.js';

/** Relays sit on one network: a peer that does not accept by then is treated as gone. */
const CONNECT_TIMEOUT_MS = 3_000;

/** The error a connection to a peer fails with when the peer is not there at all. */
export class PeerUnreachableError extends Error {
  readonly code = 'PEER_UNREACHABLE';
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether a socket error means the peer could not be reached (as opposed to a failure midway). */
export function isUnreachable(e: unknown): boolean {
  if (e instanceof PeerUnreachableError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/**
 * Opens connections to other relays' peer ports (mutual TLS, peer-tls.ts), each starting with
 * a signed preamble.
 */
@Injectable()
export class PeerDialer {
  private readonly key: Buffer;
  private readonly self: string;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    private readonly tls: PeerTls,
  ) {
    this.key = preambleKey(config.relay.secret);
    this.self = config.relay.name;
  }

  /**
   * A connection to `peer` carrying `visitor`: returned at once, the preamble already queued
   * (whatever is written next follows it, once TLS is up). A peer that does not accept, or
   * complete the TLS handshake, in time fails the socket with a PeerUnreachableError; one whose
   * certificate is not of the cluster CA fails it with the TLS error.
   */
  dial(peer: PeerAddress, visitor: PeerVisitor): Socket {
    const options = { host: peer.host, port: peer.port, noDelay: true, allowHalfOpen: true };
    const socket = this.tls.enabled
      ? connectTls({
          ...options,
          secureContext: this.tls.context,
          minVersion: 'TLSv1.3',
          // The chain is the authentication: the cluster CA issues only relays' certificates,
          // and relays are dialled by address (a pod IP), not by a name a certificate carries.
          checkServerIdentity: () => undefined,
        })
      : connect(options);
    const timer = setTimeout(
      () =>
        socket.destroy(
          new PeerUnreachableError(`relay ${peer.relay} did not accept within ${CONNECT_TIMEOUT_MS} ms`),
        ),
      CONNECT_TIMEOUT_MS,
    );
    const clear = () => clearTimeout(timer);
    socket.once(this.tls.enabled ? 'secureConnect' : 'connect', clear);
    socket.once('close', clear);
    const preamble = signPreamble(
      this.key,
      { ...visitor, remoteAddress: normalizeIp(visitor.remoteAddress) },
      this.self,
    );
    socket.write(encodeFrame(preamble, MAX_PREAMBLE_BYTES));
    return socket;
  }
}
