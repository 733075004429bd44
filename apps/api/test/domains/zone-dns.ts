import type { AddressInfo } from 'node:net';
import dns2, { Packet } from 'dns2';

type Answer = { type: 'TXT'; data: string } | { type: 'CNAME'; domain: string };

/**
 * A real DNS server (dns2, UDP on 127.0.0.1) for the answers pebble-challtestsrv cannot give:
 * NXDOMAIN for every name it does not hold, and SERVFAIL on request.
 */
export class ZoneDns {
  private constructor(
    private readonly server: ReturnType<typeof dns2.createServer>,
    readonly address: string,
    private readonly zone: Map<string, Answer[] | 'SERVFAIL'>,
  ) {}

  static async start(): Promise<ZoneDns> {
    const zone = new Map<string, Answer[] | 'SERVFAIL'>();
    const server = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        const [q] = request.questions;
        const entry = zone.get(q.name.toLowerCase());
        if (!entry) response.header.rcode = Packet.RCODE.NXDOMAIN;
        else if (entry === 'SERVFAIL') response.header.rcode = Packet.RCODE.SERVFAIL;
        else {
          for (const a of entry) {
            const wanted = a.type === 'TXT' ? Packet.TYPE.TXT : Packet.TYPE.CNAME;
            if (q.type !== wanted) continue;
            response.answers.push(
              a.type === 'TXT'
                ? Packet.createResourceFromQuestion(q, { type: Packet.TYPE.TXT, ttl: 60, data: a.data })
                : Packet.createResourceFromQuestion(q, {
                    type: Packet.TYPE.CNAME,
                    ttl: 60,
                    domain: a.domain,
                  }),
            );
          }
        }
        send(response);
      },
    });
    await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    const { port } = server.addresses().udp as AddressInfo;
    return new ZoneDns(server, `127.0.0.1:${port}`, zone);
  }

  set(name: string, answers: Answer[] | 'SERVFAIL'): void {
    this.zone.set(name.toLowerCase(), answers);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
