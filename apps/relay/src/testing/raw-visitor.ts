// Test support (excluded from the build): a visitor speaking HTTP/1.1 by hand on one
// connection, so that a test controls exactly what goes on the wire and in which order.
import net, { type Socket } from 'node:net';
import tls from 'node:tls';

export interface RawResponse {
  status: number;
  /** lower-case names; repeated fields joined with ', ' */
  headers: Record<string, string>;
  body: string;
}

export interface RawVisitorOptions {
  /** the source address to connect from (127.0.0.2 stands for a second visitor) */
  localAddress?: string;
  /** speak TLS, naming this host */
  servername?: string;
  /** bytes written before anything else (a PROXY protocol header) */
  preface?: Buffer | string;
}

export class RawVisitor {
  private buf = Buffer.alloc(0);
  private wake?: () => void;
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static open(port: number, opts: RawVisitorOptions = {}): Promise<RawVisitor> {
    return new Promise((resolve, reject) => {
      const host = '127.0.0.1';
      const plain = net.connect({ port, host, localAddress: opts.localAddress });
      plain.once('error', reject);
      plain.once('connect', () => {
        if (opts.preface) plain.write(opts.preface);
        if (!opts.servername) return resolve(new RawVisitor(plain));
        const secure = tls.connect({ socket: plain, servername: opts.servername, rejectUnauthorized: false });
        secure.once('error', reject);
        secure.once('secureConnect', () => resolve(new RawVisitor(secure)));
      });
    });
  }

  get open(): boolean {
    return !this.isClosed;
  }

  /** Everything received and not yet taken by response(). */
  get received(): string {
    return this.buf.toString('latin1');
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves true if the relay closes the connection within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    const closed = await Promise.race([this.closed.then(() => true), t]);
    clearTimeout(timer);
    return closed;
  }

  /** The next whole response (Content-Length, chunked, or none for 1xx/204/304). */
  async response(timeoutMs = 5000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.take();
      if (r) return r;
      if (this.isClosed)
        throw new Error(`closed before a whole response; got ${JSON.stringify(this.received)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no whole response in time; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private take(): RawResponse | undefined {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    let p = end + 4;
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lf = this.buf.indexOf('\r\n', p);
        if (lf < 0) return undefined;
        const size = parseInt(this.buf.subarray(p, lf).toString('latin1'), 16);
        if (this.buf.length < lf + 2 + size + 2) return undefined;
        body += this.buf.subarray(lf + 2, lf + 2 + size).toString('utf8');
        p = lf + 2 + size + 2;
        if (size === 0) break;
      }
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (this.buf.length < p + n) return undefined;
      body = this.buf.subarray(p, p + n).toString('utf8');
      p += n;
    }
    this.buf = this.buf.subarray(p);
    return { status, headers, body };
  }
}
