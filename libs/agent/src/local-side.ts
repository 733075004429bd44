import type { EventEmitter } from 'node:events';
import net from 'node:net';
import type { AgentEvents } from './events.js';
import { StreamForwarder } from './forwarder.js';
import { ExchangeRecorder, InspectorServer, type RecorderOptions } from './inspector/index.js';
import type { ServeStream } from './relay-link.js';
import { formatTarget } from './target.js';
import type { TunnelSet } from './tunnel-set.js';

export interface InspectorOptions extends RecorderOptions {
  /** `host:port` on loopback (default 127.0.0.1:4040; when taken, the next 9 ports are tried) */
  addr?: string;
}

export interface LocalSideOptions {
  tunnels: TunnelSet;
  /** `true` or options: serve the inspector when an http tunnel is inspected */
  inspector: boolean | InspectorOptions | undefined;
  localTimeoutMs: number;
  connectTimeoutMs: number;
  maxSockets: number;
  verifyLocalTls: boolean;
  /** the client's stop: an inspector that comes up after it is closed again */
  stopped: AbortSignal;
  emit: EventEmitter<AgentEvents>['emit'];
}

/**
 * What the agent does on this machine: forwards the relay's streams to the local targets,
 * records and serves HTTP exchanges in the local inspector, and checks at start that
 * something listens on each target.
 */
export class LocalSide {
  /** answers a stream of any link */
  readonly serve: ServeStream;
  private readonly forwarder: StreamForwarder;
  private readonly recorder: ExchangeRecorder | undefined;
  private readonly inspectAddr: string | undefined;
  private inspectorServer: InspectorServer | undefined;
  private closed = false;

  constructor(private readonly o: LocalSideOptions) {
    const { tunnels, emit } = o;
    const inspected = tunnels.all().some((t) => t.proto === 'http' && t.request.inspect !== false);
    if (o.inspector && inspected) {
      const io = o.inspector === true ? {} : o.inspector;
      this.recorder = new ExchangeRecorder(io);
      this.inspectAddr = io.addr;
    }
    const recorder = this.recorder;
    this.forwarder = new StreamForwarder({
      // A tunnel is its own route (id, proto, target): nothing to build per stream.
      route: (id) => tunnels.get(id),
      localTimeoutMs: o.localTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      maxSockets: o.maxSockets,
      verifyLocalTls: o.verifyLocalTls,
      onRequest: (e) => emit('request', e),
      onConnection: (e) => emit('connection', e),
      ...(recorder
        ? {
            tap: (route, method, path) =>
              route.proto === 'http' && tunnels.get(route.id)?.request.inspect !== false
                ? recorder.begin(route.id, method, path)
                : undefined,
          }
        : {}),
    });
    const forwarder = this.forwarder;
    this.serve = (stream, headers, rawHeaders) => forwarder.handle(stream, headers, rawHeaders);
  }

  /** The local inspector's URL, once it listens. */
  get inspectorUrl(): string | undefined {
    return this.inspectorServer?.url;
  }

  /** Once the tunnels are online: the inspector (when asked for), and the check of the targets. */
  async start(checkTargets: boolean): Promise<void> {
    if (this.recorder) await this.openInspector(this.recorder);
    if (checkTargets) void this.checkTargets();
  }

  close(): void {
    this.closed = true;
    this.forwarder.close();
    void this.inspectorServer?.close();
    this.inspectorServer = undefined;
  }

  private async openInspector(recorder: ExchangeRecorder): Promise<void> {
    const server = new InspectorServer({
      recorder,
      target: (id) => this.o.tunnels.get(id)?.target,
      localTimeoutMs: this.o.localTimeoutMs,
      verifyLocalTls: this.o.verifyLocalTls,
    });
    try {
      const url = await server.listen(this.inspectAddr);
      if (this.o.stopped.aborted) return void (await server.close());
      this.inspectorServer = server;
      this.o.emit('inspector_online', { url });
    } catch (e) {
      this.o.emit('warning', { message: `the local inspector is off: ${(e as Error).message}` });
    }
  }

  /** A warning per local target nothing listens on: the tunnel stays up (the service may start later). */
  private async checkTargets(): Promise<void> {
    await Promise.all(
      this.o.tunnels.all().map(async (t) => {
        const err = await probe(t.target.host, t.target.port, 1_000);
        if (err && !this.closed) {
          this.o.emit('warning', {
            tunnel: t.id,
            message: `nothing answers at ${formatTarget(t.target)} (${err}); the tunnel is online and visitors get 502 until the local service starts`,
          });
        }
      }),
    );
  }
}

function probe(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (r: string | undefined) => {
      clearTimeout(t);
      s.destroy();
      resolve(r);
    };
    const t = setTimeout(() => done('no answer'), timeoutMs);
    s.once('connect', () => done(undefined));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}
