import type { AddressInfo } from 'node:net';
import dns2, { Packet } from 'dns2';

/** A real DNS server (dns2, UDP on 127.0.0.1) answering the TXT records a test sets. */
export class TestDns {
  private readonly txt = new Map<string, string[]>();

  private constructor(
    private readonly server: ReturnType<typeof dns2.createServer>,
    readonly address: string,
  ) {}

  static async start(): Promise<TestDns> {
    let self: TestDns | undefined;
    const server = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        const [q] = request.questions;
        const values = self?.txt.get(q.name.toLowerCase());
        if (!values) response.header.rcode = Packet.RCODE.NXDOMAIN;
        for (const data of values ?? []) {
          response.answers.push(
            Packet.createResourceFromQuestion(q, { type: Packet.TYPE.TXT, ttl: 60, data }),
          );
        }
        send(response);
      },
    });
    await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    const { port } = server.addresses().udp as AddressInfo;
    self = new TestDns(server, `127.0.0.1:${port}`);
    return self;
  }

  setTxt(name: string, ...values: string[]): void {
    this.txt.set(name.toLowerCase(), values);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
