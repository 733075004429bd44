import type { Socket } from 'node:net';
import { readOneFrame } from '@fdt/protocol';
import { MAX_PREAMBLE_BYTES } from './peer-preamble.js';

/**
 * Reads the first frame of a peer connection within `timeoutMs`. Resolves with its value and
 * the bytes that followed (the visitor's, to be given back with unshift); leaves the socket
 * paused with no listener of ours. Rejects (FrameReadError) when the frame is too large,
 * malformed, slow, or the connection ends first.
 */
export function readPreamble(socket: Socket, timeoutMs: number): Promise<{ value: unknown; rest: Buffer }> {
  return readOneFrame(socket, timeoutMs, MAX_PREAMBLE_BYTES);
}
