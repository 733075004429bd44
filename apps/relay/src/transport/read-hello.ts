import type { Socket } from 'node:net';
import { FrameDecoder, FrameError, HandshakeErrorCode, HandshakeProblem } from '@fdt/protocol';

/**
 * Reads the agent's first frame, within `timeoutMs`. Resolves with the decoded value and any
 * bytes that followed it (they belong to the mux phase); leaves the socket paused with no
 * listener of ours. Rejects with a HandshakeProblem naming the code to send back.
 */
export function readFirstFrame(socket: Socket, timeoutMs: number): Promise<{ value: unknown; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    const done = (err?: HandshakeProblem, value?: unknown) => {
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
        if (e instanceof FrameError) done(new HandshakeProblem(e.code, e.message));
        else done(new HandshakeProblem(HandshakeErrorCode.Internal, 'could not read the hello'));
      }
    };
    const onEnd = () =>
      done(new HandshakeProblem(HandshakeErrorCode.BadRequest, 'connection closed before the hello'));
    const timer = setTimeout(
      () => done(new HandshakeProblem(HandshakeErrorCode.Timeout, `no hello within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
  });
}
