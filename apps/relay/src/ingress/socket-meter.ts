import type { Socket } from 'node:net';
import type { RelayMetrics } from '../metrics/relay-metrics.js';

// Bytes of a keep-alive connection are counted as each exchange ends, and the rest at close.
const counted = new WeakMap<Socket, { read: number; written: number }>();

/** Counts what the socket moved since it was last counted; returns those bytes (in + out). */
export function meter(metrics: RelayMetrics, proto: string, socket: Socket): number {
  const read = socket.bytesRead;
  const written = socket.bytesWritten;
  const prev = counted.get(socket);
  if (!prev) {
    metrics.transferred(proto, read, written);
    counted.set(socket, { read, written });
    return read + written;
  }
  const delta = read - prev.read + (written - prev.written);
  metrics.transferred(proto, read - prev.read, written - prev.written);
  prev.read = read;
  prev.written = written;
  return delta;
}
