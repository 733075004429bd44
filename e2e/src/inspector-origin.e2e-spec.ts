import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { launch, type Browser } from './admin/browser.js';
import { type CliRun, fdt } from './cli.js';
import { freePort, newAuthtoken, type Stack, startStack, waitFor } from './stack.js';
import { visit } from './visitor.js';

const listen = async (server: http.Server): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
};

describe('the local inspector in Chromium: a web page of another site cannot replay requests', () => {
  let stack: Stack;
  let cli: CliRun;
  let browser: Browser;
  let inspector: string;
  let origin: http.Server;
  let evil: http.Server;
  let evilPort: number;
  let itemId: string;
  // What reached the developer's local service: the visitor's request, then any replay.
  const transfers: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    const { authtoken } = await newAuthtoken(stack.apiUrl);
    origin = http.createServer((req, res) => {
      transfers.push(`${req.method} ${req.url}`);
      res.end('done');
    });
    const originPort = await listen(origin);
    // A page on another site the developer happens to open while the tunnel runs. Its form
    // sends `{"body":"="}` (text/plain joins name and value with "="): valid replay JSON.
    evil = http.createServer((req, res) => {
      const target = `${inspector}/api/requests/${itemId}/replay`;
      const page =
        req.url === '/form'
          ? `<form method="POST" action="${target}" enctype="text/plain"><input name='{"body":"' value='"}'></form>
             <script>document.forms[0].submit()</script>`
          : `<script>
               fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' })
                 .then(() => (document.title = 'sent'), () => (document.title = 'failed'));
             </script>`;
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>evil</title>${page}`);
    });
    evilPort = await listen(evil);

    cli = fdt(
      [
        'tunnel',
        'start',
        'http',
        String(originPort),
        '--name',
        'e2e-origin-check',
        '--inspect-addr',
        `127.0.0.1:${await freePort()}`,
      ],
      {
        FDT_API_URL: stack.apiUrl,
        FDT_AUTHTOKEN: authtoken,
        FDT_CA_FILE: `${stack.env.FDT_RELAY_TLS_DIR}/ca.pem`,
      },
    );
    const online = await cli.waitEvent('tunnel_online');
    inspector = String((await cli.waitEvent('inspector_online')).url);
    expect((await visit(String(online.url), { path: '/transfer?amount=100' })).status).toBe(200);
    const list = (await (await fetch(`${inspector}/api/requests`)).json()) as { items: { id: string }[] };
    itemId = list.items[0]?.id ?? '';
    expect(transfers).toEqual(['GET /transfer?amount=100']);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await cli?.stop('SIGINT');
    origin?.close();
    evil?.close();
    await stack?.close();
  });

  it('refuses the no-cors text/plain fetch and the auto-submitted form of another site', async () => {
    const { page } = browser;
    await page.goto(`http://localhost:${evilPort}/fetch`);
    await waitFor('the page sent its request', async () => (await page.title()) === 'sent');
    await page.goto(`http://localhost:${evilPort}/form`);
    await waitFor('the form landed on the inspector', async () => page.url().startsWith(inspector));
    expect(await page.textContent('body')).toContain('cross_origin');
    // Give a replay that slipped through the time to reach the origin.
    await new Promise((r) => setTimeout(r, 500));
    expect(transfers).toEqual(['GET /transfer?amount=100']);
  });

  it('replays from its own page', async () => {
    const { page } = browser;
    await page.goto(inspector);
    await page.click(`tr.item[data-id="${itemId}"]`);
    await page.click('#replay');
    await waitFor('the replay', async () => (await page.textContent('#rmsg'))?.includes('replayed'));
    expect(transfers).toEqual(['GET /transfer?amount=100', 'GET /transfer?amount=100']);
  });
});
