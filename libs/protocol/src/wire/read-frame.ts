import type { Socket } from 'node:net';
import { FrameDecoder, FrameError } from './frame-codec.js';

/** Why no frame was read: too slow, the connection ended, or the bytes were not a frame (see `frameError`). */
export class FrameReadError extends Error {
  constructor(
    readonly reason: 'timeout' | 'closed' | 'frame',
    message: string,
    readonly frameError?: FrameError,
  ) {
    super(message);
  }
}

/**
 * Reads one length-prefixed JSON frame as the first thing on a connection, within
 * `timeoutMs`. Resolves with the value and the bytes that followed it (the next phase's, to
 * be given back with unshift); leaves the socket paused with no listener of ours. Rejects
 * with a FrameReadError. Agent hellos and relay peer preambles both start this way.
 */
export function readOneFrame(
  socket: Socket,
  timeoutMs: number,
  maxBytes?: number,
): Promise<{ value: unknown; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(maxBytes);
    const done = (err?: FrameReadError, value?: unknown) => {
      socket.pause();
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
      if (err) reject(err);
      else resolve({ value, rest: decoder.rest() });
    };
    const onData = (chunk: Buffer) => {
      try {
        decoder.push(chunk);
        const value = decoder.next();
        if (value !== undefined) done(undefined, value);
      } catch (e) {
        if (e instanceof FrameError) done(new FrameReadError('frame', e.message, e));
        else done(new FrameReadError('frame', String(e)));
      }
    };
    const onEnd = () => done(new FrameReadError('closed', 'the connection closed before the first frame'));
    const timer = setTimeout(
      () => done(new FrameReadError('timeout', `no frame within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
  });
}
