import type { Socket } from 'node:net';
import { MuxCode, type MuxStream, StreamHeader } from '@fdt/protocol';

/** Why the agent did not open the local connection: its fdt-error code, or the status it sent. */
export interface RawRefusal {
  agentError?: string;
  status: number;
}

/**
 * Joins a visitor socket and an agent stream byte for byte, both ways, with backpressure
 * (pipe), half-close passed along, and either side's failure tearing down the other. When
 * the agent answers anything but 200 (it could not reach the local service), the pipes come
 * apart and `onRefused` may still write to the socket (an HTTP error for Upgrade requests)
 * before it closes.
 */
export function pipeRaw(socket: Socket, stream: MuxStream, onRefused?: (r: RawRefusal) => void): void {
  let done = false;
  const closeStream = () => {
    if (!stream.destroyed) stream.close(MuxCode.Cancel);
  };
  const teardown = () => {
    if (done) return;
    done = true;
    closeStream();
    if (!socket.destroyed) socket.destroy();
  };
  stream.once('response', (headers) => {
    const status = Number(headers[':status']);
    const agentError = headers[StreamHeader.Error];
    if (status === 200 && !agentError) return;
    done = true;
    socket.unpipe(stream);
    stream.unpipe(socket);
    onRefused?.({ status, agentError: typeof agentError === 'string' ? agentError : undefined });
    closeStream();
    if (!socket.writableEnded) socket.destroy();
  });
  socket.pipe(stream);
  stream.pipe(socket);
  socket.on('error', teardown);
  stream.on('error', teardown);
  socket.on('close', () => {
    // A visitor half-close reached the agent through pipe's end(); a reset did not.
    if (!stream.writableEnded || !stream.readableEnded) teardown();
  });
  stream.on('close', () => {
    // Reset by the agent: drop the visitor. Ended cleanly: pipe ends the socket after the last bytes.
    if (stream.rstCode !== undefined && stream.rstCode !== MuxCode.NoError) teardown();
  });
}
