import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { MAX_MESSAGE_BYTES } from './dns-wire.js';

// One request, one answer, bounded in time: UDP first (what nsupdate does), TCP when the answer
// is truncated. The caller matches the answer to the request (id, TSIG).

export class DnsTransportTimeout extends Error {}

export interface DnsServerAddress {
  host: string;
  port: number;
}

/** Sends over UDP and resolves with the first datagram `accept` takes (others are ignored: spoofs, strays). */
export function exchangeUdp(
  server: DnsServerAddress,
  message: Buffer,
  timeoutMs: number,
  accept: (b: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    let settled = false;
    const done = (err: Error | null, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const timer = setTimeout(
      () => done(new DnsTransportTimeout(`no answer over UDP in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => done(err));
    socket.on('message', (msg) => {
      if (accept(msg)) done(null, msg);
    });
    socket.connect(server.port, server.host, () => socket.send(message));
  });
}

/** Sends over TCP with the two-byte length prefix (RFC 1035 §4.2.2); the whole exchange has one deadline. */
export function exchangeTcp(server: DnsServerAddress, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | null, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const timer = setTimeout(
      () => done(new DnsTransportTimeout(`no answer over TCP in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => done(err));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length);
      socket.write(Buffer.concat([len, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > MAX_MESSAGE_BYTES + 2) return done(new Error('DNS answer too large'));
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        done(null, received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    socket.on('end', () => done(new Error('DNS server closed the TCP connection before answering')));
  });
}
