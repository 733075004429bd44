import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, startHarness } from '../test/harness.js';

const IMPORT_MAP = '{"integrity":{"./chunk-ABCDEFGH.js":"sha384-x"}}';
const INDEX = `<!doctype html><html><head><script type="importmap">${IMPORT_MAP}</script></head><body><fdt-root></fdt-root><script src="main-ABCD1234.js" type="module"></script></body></html>`;

describe('the api serves the admin SPA at /', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fdt-admin-'));
    h = await startHarness({ FDT_ADMIN_DIR: dir });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the admin is being built while there is no build yet', async () => {
    const res = await h.client().get('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('not built yet');
  });

  it('serves index.html for client routes, with a CSP that admits only its own inline import map', async () => {
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'main-ABCD1234.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    for (const path of ['/', '/tunnels/3f1c', '/inspector/shop?request=1-0', '/sign-in']) {
      const res = await h.client().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.text).toBe(INDEX);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy') ?? '';
      const { createHash } = await import('node:crypto');
      const hash = createHash('sha256').update(IMPORT_MAP).digest('base64');
      expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-eval');
    }
  });

  it('caches hashed bundles for good and other files never', async () => {
    const js = await h.client().get('/main-ABCD1234.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toContain('javascript');
    const svg = await h.client().get('/favicon.svg');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('never shadows the api, SCIM, probes or metrics', async () => {
    const api = await h.client().get('/api/v1/no-such-route');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await h.client().get('/api/v1/me')).status).toBe(401);
    expect((await h.client().get('/scim/v2/Users')).text).not.toContain('<fdt-root>');
    expect((await h.client().get('/healthz')).headers.get('content-type')).toContain('application/json');
    expect((await h.client().get('/readyz')).text).not.toContain('<fdt-root>');
    // /metrics lives on the admin port; here it is neither served nor the SPA.
    const metrics = await h.client().get('/metrics');
    expect(metrics.status).toBe(404);
    expect(metrics.text).not.toContain('<fdt-root>');
    expect((await h.client().get('/api/docs-json')).body.openapi).toMatch(/^3\./);
  });

  it('answers only GET and HEAD with the SPA', async () => {
    expect((await h.client().request('HEAD', '/members')).status).toBe(200);
    const post = await h.client().post('/members', {});
    expect(post.status).toBe(404);
    expect(post.text).not.toContain('<fdt-root>');
  });
});
