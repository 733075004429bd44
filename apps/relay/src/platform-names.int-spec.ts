import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testEnv } from '@fdt/testing';
import { type Edge, startEdge } from './testing/harness.js';
import { listen, type Listening } from './testing/origins.js';
import { HandshakeRefused } from './testing/test-agent.js';

async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HandshakeRefused)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.reply;
}

describe("the platform's own host names at the handshake", () => {
  let edge: Edge;
  let origin: Listening<http.Server>;

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      FDT_RESERVED_SUBDOMAINS: 'admin,api,www,app,relay,status-page',
    });
    origin = await listen(http.createServer((_req, res) => res.end('origin')));
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it.each(['admin', 'api', 'www', 'status-page'])('refuses the name %s with name_taken', async (name) => {
    const reply = await refusal(edge.agent([{ id: 't', proto: 'http', name, local: origin.port }]));
    expect(reply).toMatchObject({ code: 'name_taken', tunnelId: 't' });
    expect(reply.message).toMatch(/reserved for the platform/);
  });

  it('refuses a platform name even when the token carries it as a reservation or a domain', async () => {
    const hosts = [
      { name: 'app', host: 'app.localhost', tls: 'terminate' as const },
      { name: 'relay', host: 'relay.localhost', tls: 'passthrough' as const },
    ];
    expect(
      await refusal(edge.agent([{ id: 'a', proto: 'http', name: 'app', local: origin.port }], { hosts })),
    ).toMatchObject({ code: 'name_taken' });
    expect(
      await refusal(
        edge.agent([{ id: 'r', proto: 'tls', domain: 'relay.localhost', local: origin.port }], { hosts }),
      ),
    ).toMatchObject({ code: 'name_taken' });
  });

  it('still grants names that are not the platform’s', async () => {
    const agent = await edge.agent([{ id: 'w', proto: 'http', name: 'docs', local: origin.port }]);
    expect(agent.url('w')).toBe(`http://docs.localhost:${edge.relay.ports.http}`);
    await agent.close();
  });
});
