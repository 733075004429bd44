import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local stand-in for Cloudflare's API v4 DNS records endpoints, following the documented
// shapes: Bearer token, /client/v4/zones/:zone_id/dns_records (GET list with type/name/content
// filters, POST create, DELETE by id), the {success, errors, messages, result} envelope, and
// Cloudflare's error codes for a refused token (403, 10000), an identical record (81058) and a
// missing one (81044). Only what a DNS-01 client uses.

export interface FakeCloudflareRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxiable: boolean;
  proxied: boolean;
  comment: string | null;
  tags: string[];
  created_on: string;
  modified_on: string;
}

export interface FakeCloudflare {
  /** e.g. http://127.0.0.1:1234/client/v4 (FDT_DNS_CLOUDFLARE_API_URL) */
  apiUrl: string;
  token: string;
  zoneId: string;
  records(): FakeCloudflareRecord[];
  /** "METHOD path" of each request, for asserting what the client sent. */
  requests: string[];
  stop(): Promise<void>;
}

const envelope = (result: unknown, errors: { code: number; message: string }[] = []) => ({
  success: errors.length === 0,
  errors,
  messages: [],
  result: errors.length ? null : result,
});

export async function startFakeCloudflare(opts: { zoneName: string }): Promise<FakeCloudflare> {
  const token = randomBytes(20).toString('hex');
  const zoneId = randomBytes(16).toString('hex');
  const zoneName = opts.zoneName.toLowerCase();
  const records = new Map<string, FakeCloudflareRecord>();
  const requests: string[] = [];

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown> | undefined> => {
    let raw = '';
    for await (const chunk of req) {
      raw += chunk;
      if (raw.length > 100_000) return undefined;
    }
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      if (req.headers.authorization !== `Bearer ${token}`) {
        return send(res, 403, envelope(null, [{ code: 10000, message: 'Authentication error' }]));
      }
      const m = /^\/client\/v4\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m) return send(res, 404, envelope(null, [{ code: 7000, message: 'No route for that URI' }]));
      if (m[1] !== zoneId)
        return send(res, 403, envelope(null, [{ code: 10000, message: 'Authentication error' }]));
      const id = m[2];
      if (req.method === 'GET' && !id) {
        const q = url.searchParams;
        const name = (q.get('name.exact') ?? q.get('name'))?.toLowerCase();
        const list = [...records.values()].filter(
          (r) =>
            (!q.get('type') || r.type === q.get('type')) &&
            (!name || r.name === name) &&
            (!q.get('content') || r.content === q.get('content')),
        );
        return send(res, 200, {
          ...envelope(list),
          result_info: {
            page: 1,
            per_page: 100,
            count: list.length,
            total_count: list.length,
            total_pages: 1,
          },
        });
      }
      if (req.method === 'POST' && !id) {
        const body = await readJson(req);
        const name = typeof body?.name === 'string' ? body.name.toLowerCase().replace(/\.$/, '') : '';
        if (!body || body.type !== 'TXT' || typeof body.content !== 'string' || !name) {
          return send(
            res,
            400,
            envelope(null, [{ code: 9000, message: 'DNS record type, name and content are required.' }]),
          );
        }
        if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
          return send(
            res,
            400,
            envelope(null, [
              { code: 9005, message: 'Content for the record name is invalid: not in the zone.' },
            ]),
          );
        }
        if (
          [...records.values()].some((r) => r.type === 'TXT' && r.name === name && r.content === body.content)
        ) {
          return send(
            res,
            400,
            envelope(null, [{ code: 81058, message: 'An identical record already exists.' }]),
          );
        }
        const now = new Date().toISOString();
        const record: FakeCloudflareRecord = {
          id: randomBytes(16).toString('hex'),
          zone_id: zoneId,
          zone_name: zoneName,
          name,
          type: 'TXT',
          content: body.content,
          ttl: typeof body.ttl === 'number' ? body.ttl : 1,
          proxiable: false,
          proxied: false,
          comment: typeof body.comment === 'string' ? body.comment : null,
          tags: [],
          created_on: now,
          modified_on: now,
        };
        records.set(record.id, record);
        return send(res, 200, envelope(record));
      }
      if (req.method === 'DELETE' && id) {
        if (!records.delete(id))
          return send(res, 404, envelope(null, [{ code: 81044, message: 'Record does not exist.' }]));
        return send(res, 200, envelope({ id }));
      }
      return send(res, 405, envelope(null, [{ code: 10405, message: 'Method not allowed' }]));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/client/v4`,
    token,
    zoneId,
    records: () => [...records.values()],
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
