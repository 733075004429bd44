import type { Socket } from 'node:net';
import { FrameReadError, HandshakeErrorCode, HandshakeProblem, readOneFrame } from '@fdt/protocol';

/**
 * Reads the agent's first frame, within `timeoutMs`. Resolves with the decoded value and any
 * bytes that followed it (they belong to the mux phase); leaves the socket paused with no
 * listener of ours. Rejects with a HandshakeProblem naming the code to send back.
 */
export async function readFirstFrame(
  socket: Socket,
  timeoutMs: number,
): Promise<{ value: unknown; rest: Buffer }> {
  try {
    return await readOneFrame(socket, timeoutMs);
  } catch (e) {
    if (!(e instanceof FrameReadError))
      throw new HandshakeProblem(HandshakeErrorCode.Internal, 'could not read the hello');
    if (e.frameError) throw new HandshakeProblem(e.frameError.code, e.frameError.message);
    if (e.reason === 'timeout')
      throw new HandshakeProblem(HandshakeErrorCode.Timeout, `no hello within ${timeoutMs} ms`);
    if (e.reason === 'closed')
      throw new HandshakeProblem(HandshakeErrorCode.BadRequest, 'connection closed before the hello');
    throw new HandshakeProblem(HandshakeErrorCode.Internal, 'could not read the hello');
  }
}
