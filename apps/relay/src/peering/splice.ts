import type { Socket } from 'node:net';
import { isUnreachable } from './peer-dialer.js';

/**
 * Joins a visitor connection and a peer connection byte for byte, both ways, with
 * backpressure and half-close passed along. If the peer cannot be reached at all,
 * `onUnreachable` gets the visitor socket (still open, nothing written to it yet) to answer;
 * any other failure of either side tears both down.
 */
export function splice(visitor: Socket, peer: Socket, onUnreachable: (visitor: Socket) => void): void {
  let connected = false;
  let done = false;
  const teardown = () => {
    if (done) return;
    done = true;
    visitor.destroy();
    peer.destroy();
  };
  peer.once('connect', () => (connected = true));
  peer.on('error', (e) => {
    if (connected || done || !isUnreachable(e)) return teardown();
    done = true;
    visitor.unpipe(peer);
    peer.unpipe(visitor);
    onUnreachable(visitor);
  });
  visitor.on('error', teardown);
  // Closed without its end (a reset) on one side: the other side goes too. An orderly end
  // reaches the other side through pipe's end() and lets the last bytes leave first.
  visitor.on('close', () => {
    if (!visitor.readableEnded) teardown();
  });
  peer.on('close', () => {
    if (connected && !peer.readableEnded) teardown();
  });
  visitor.pipe(peer);
  peer.pipe(visitor);
}
