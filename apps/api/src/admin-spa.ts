import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';

// Paths the SPA never answers: they belong to the api, SCIM, probes and metrics, even when
// the route does not exist (a 404 problem+json, not the admin's index.html).
const RESERVED = /^\/(api|scim|healthz|readyz|metrics|\.well-known)(\/|$)/;
// Angular's output names carry a content hash: main-ABCD1234.js, chunk-..., styles-....css.
const HASHED = /-[A-Z0-9]{8}\.(js|css|woff2?)$/;

// The SPA talks only to its own origin; Angular adds component styles as <style> elements.
// Inline scripts of index.html (the build's integrity import map) are allowed by their hash.
const csp = (scriptHashes: string[]) =>
  [
    "default-src 'self'",
    ["script-src 'self'", ...scriptHashes.map((h) => `'sha256-${h}'`)].join(' '),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');

const BUILDING_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="3"><title>fdt admin</title></head>
<body style="font-family:system-ui,sans-serif;margin:3rem"><h1>fdt admin</h1>
<p>The admin is not built yet. <code>npm start</code> builds it in the background (this page
reloads); elsewhere run <code>npm run build</code>. The API is up at <a href="/api/docs">/api/docs</a>.</p>
</body></html>`;

function securityHeaders(res: Response): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
}

/** index.html, re-read when the build replaces it (npm start builds the admin in the background). */
class IndexFile {
  private cached?: { mtimeMs: number; html: Buffer; csp: string };

  constructor(private readonly path: string) {}

  read(): { html: Buffer; csp: string } | undefined {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      this.cached = undefined;
      return undefined;
    }
    if (this.cached?.mtimeMs !== mtimeMs) {
      const html = readFileSync(this.path);
      const inline = [...html.toString('utf8').matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)];
      const hashes = inline.map((m) => createHash('sha256').update(m[1], 'utf8').digest('base64'));
      this.cached = { mtimeMs, html, csp: csp(hashes) };
    }
    return this.cached;
  }
}

/**
 * Serves the built admin SPA from `dir` at `/`: its files, and index.html for any other GET
 * outside the reserved prefixes (client-side routes such as /tunnels/abc).
 */
export function serveAdminSpa(app: INestApplication, dir: string): void {
  const index = new IndexFile(join(dir, 'index.html'));
  const files = express.static(dir, {
    index: false,
    fallthrough: true,
    redirect: false,
    setHeaders: (res, path) => {
      securityHeaders(res);
      if (path.endsWith('.html')) res.setHeader('Content-Security-Policy', csp([]));
      res.setHeader('Cache-Control', HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || RESERVED.test(req.path)) return next();
    files(req, res, () => {
      const page = index.read();
      securityHeaders(res);
      res.setHeader('Cache-Control', 'no-cache');
      if (!page) {
        res.status(503).type('html').send(BUILDING_PAGE);
        return;
      }
      res.setHeader('Content-Security-Policy', page.csp);
      res.status(200).type('html').send(page.html);
    });
  });
}
