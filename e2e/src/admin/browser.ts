import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import playwright, { type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT } from '../stack.js';

/** Debian's Chromium (`.ci/run` installs it); FDT_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.FDT_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
export const VIEWPORT = { width: 1280, height: 860 };

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Headless Chromium with a new, empty profile of its own. */
export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: run .ci/run or apt-get install chromium`);
  const profile = mkdtempSync(join(os.tmpdir(), 'fdt-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the element is disabled. `isDisabled()` answers at once, and the admin renders
 * a page before its permission signals settle, so a one-shot check races the render.
 */
export async function waitDisabled(locator: Locator, timeout = 10_000): Promise<void> {
  await locator.and(locator.page().locator(':disabled')).waitFor({ timeout });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (WCAG 2.1 A/AA rules) on the page; returns the serious and critical violations. */
export async function axe(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol, not as a <script>: the admin's CSP allows no inline script.
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE);
  // A string, run in the page (where `axe` and `document` exist).
  const violations = (await page.evaluate(`(async () => {
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  })()`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Saves a screenshot to docs/screenshots/<name>.png only when it looks different from the
 * committed one (more than 1.5% of pixels changed), so that timestamps, ports and ids that
 * move on every run do not rewrite the files. Secrets are masked.
 */
export async function screenshot(
  page: Page,
  name: string,
  opts: { mask?: string[]; fullPage?: boolean } = {},
): Promise<boolean> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  const png = await page.screenshot({
    fullPage: opts.fullPage ?? false,
    animations: 'disabled',
    caret: 'hide',
    mask: (opts.mask ?? []).map((s) => page.locator(s)),
    maskColor: '#d5d9e0',
  });
  if (existsSync(file)) {
    const old = readFileSync(file);
    if (old.equals(png) || (await differingShare(page, old, png)) < 0.015) return false;
  }
  writeFileSync(file, png);
  return true;
}

/** Compares two PNGs in the browser itself (it decodes images); the share of pixels that differ. */
async function differingShare(from: Page, a: Buffer, b: Buffer): Promise<number> {
  // A blank page of its own: the admin's CSP would refuse the data: URLs.
  const page = await from.context().newPage();
  try {
    return await compare(page, a, b);
  } finally {
    await page.close();
  }
}

function compare(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(
    async ([x, y]) => {
      // The browser's own image decoding (typed here by hand: the tests compile without the DOM lib).
      interface Bitmap {
        width: number;
        height: number;
      }
      interface Context {
        drawImage(b: Bitmap, x: number, y: number): void;
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      }
      const g = globalThis as unknown as {
        createImageBitmap(b: Blob): Promise<Bitmap>;
        OffscreenCanvas: new (w: number, h: number) => { getContext(kind: '2d'): Context };
      };
      const load = async (b64: string) => {
        const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
        const bmp = await g.createImageBitmap(blob);
        const ctx = new g.OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
        ctx.drawImage(bmp, 0, 0);
        return { w: bmp.width, h: bmp.height, d: ctx.getImageData(0, 0, bmp.width, bmp.height).data };
      };
      const [p, q] = await Promise.all([load(x), load(y)]);
      if (p.w !== q.w || p.h !== q.h) return 1;
      let diff = 0;
      for (let i = 0; i < p.d.length; i += 4) {
        if (
          Math.abs(p.d[i] - q.d[i]) + Math.abs(p.d[i + 1] - q.d[i + 1]) + Math.abs(p.d[i + 2] - q.d[i + 2]) >
          24
        )
          diff++;
      }
      return diff / (p.w * p.h);
    },
    [a.toString('base64'), b.toString('base64')] as const,
  );
}
