import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisKeyValueStore } from '@fdt/ports';
import { acmeHttp01Key } from '@fdt/protocol';
import { deleteRedisKeys, TEST_REDIS_URL, testEnv } from '@fdt/testing';
import { type Edge, startEdge, visit } from '../testing/harness.js';
import { listen, type Listening } from '../testing/origins.js';

describe('HTTP-01 answers at the relay', () => {
  let edge: Edge;
  let kv: RedisKeyValueStore;
  let origin: Listening<http.Server>;
  const namespace = `http01_${randomBytes(4).toString('hex')}`;
  const token = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    edge = await startEdge(testEnv('postgres://unused@127.0.0.1:1/unused'), {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: namespace,
      FDT_RELAY_FORWARDING: 'false',
    });
    // What the worker leaves for the CA (another process, the same KV namespace).
    kv = new RedisKeyValueStore({ redis: TEST_REDIS_URL, namespace });
    await kv.set(acmeHttp01Key(token), `${token}.thumbprint`, 60);
    origin = await listen(http.createServer((req, res) => res.end(`origin ${req.url}`)));
  });

  afterAll(async () => {
    await kv?.close();
    await edge?.close();
    await origin?.close();
    await deleteRedisKeys([namespace]);
  });

  it('answers a pending token for any host, over plain HTTP', async () => {
    for (const host of ['app.customer.test', 'nobody-routes-this.example']) {
      const r = await visit(edge.relay.ports.http, host, { path: `/.well-known/acme-challenge/${token}` });
      expect(r).toMatchObject({ status: 200, text: `${token}.thumbprint` });
      expect(r.headers['content-type']).toBe('text/plain');
    }
  });

  it('leaves tokens it does not hold to the tunnel (an agent may run its own ACME client)', async () => {
    const agent = await edge.agent([{ id: 'web', proto: 'http', name: 'own-acme', local: origin.port }]);
    const host = new URL(agent.url('web')).host;
    const other = randomBytes(32).toString('base64url');
    const r = await visit(edge.relay.ports.http, host, { path: `/.well-known/acme-challenge/${other}` });
    expect(r).toMatchObject({ status: 200, text: `origin /.well-known/acme-challenge/${other}` });
    // No tunnel and no token: the usual 404 naming the host.
    const none = await visit(edge.relay.ports.http, 'nothing.customer.test', {
      path: `/.well-known/acme-challenge/${other}`,
    });
    expect(none.status).toBe(404);
    await agent.close();
  });
});
