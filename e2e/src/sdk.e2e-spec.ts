import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { forward, type Listener } from '@fdt/agent';
import { newAuthtoken, type Stack, startStack } from './stack.js';
import { visit } from './visitor.js';

describe('the SDK: forward() from @fdt/agent against the real api and relay', () => {
  let stack: Stack;
  let origin: http.Server;
  let listener: Listener | undefined;

  beforeAll(async () => {
    stack = await startStack();
    origin = http.createServer((req, res) => res.end(`sdk origin ${req.url}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await listener?.close();
    await stack?.close();
    origin?.close();
  });

  it('resolves once online, serves through url(), and close() takes the tunnel down', async () => {
    const { authtoken } = await newAuthtoken(stack.apiUrl);
    const { readFileSync } = await import('node:fs');
    listener = await forward({
      addr: (origin.address() as net.AddressInfo).port,
      authtoken,
      apiUrl: stack.apiUrl,
      name: 'e2e-sdk',
      ca: readFileSync(join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem')),
    });
    expect(listener.url()).toBe(`http://e2e-sdk.localhost:${stack.ports.http}`);
    expect((await visit(listener.url(), { path: '/from-sdk' })).body).toBe('sdk origin /from-sdk');
    await listener.close();
    expect([404, 503]).toContain((await visit(`http://e2e-sdk.localhost:${stack.ports.http}`)).status);
    listener = undefined;
  });
});
