import http from 'node:http';
import type net from 'node:net';

export interface FakeApiOptions {
  relay: { host: string; port: number; tls?: boolean };
  /** the only authtoken accepted */
  authtoken: string;
  ttlSeconds?: number;
}

/** `POST /api/v1/agent/sessions` and nothing else, as the real api answers it. */
export class FakeApi {
  readonly calls: { authorization?: string; body: string }[] = [];
  private tokens = 0;

  private constructor(
    private readonly server: http.Server,
    readonly opts: FakeApiOptions,
  ) {}

  static async start(opts: FakeApiOptions): Promise<FakeApi> {
    const server = http.createServer();
    const api = new FakeApi(server, opts);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => api.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/v1/agent/sessions') {
        res
          .writeHead(404, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ status: 404, code: 'not_found', detail: 'no route' }));
        return;
      }
      this.calls.push({ authorization: req.headers.authorization, body });
      if (req.headers.authorization !== `Bearer ${this.opts.authtoken}`) {
        res.writeHead(401, { 'content-type': 'application/problem+json' }).end(
          JSON.stringify({
            type: 'about:blank',
            title: 'Unauthorized',
            status: 401,
            code: 'auth_failed',
            detail: 'The authtoken is not valid.',
          }),
        );
        return;
      }
      const relay = this.opts.relay;
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          token: `session-${++this.tokens}`,
          expiresAt: new Date(Date.now() + (this.opts.ttlSeconds ?? 900) * 1000).toISOString(),
          relay: {
            name: 'fake',
            host: relay.host,
            port: relay.port,
            region: 'local',
            ...(relay.tls === undefined ? {} : { tls: relay.tls }),
          },
        }),
      );
    });
  }
}
