import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChallTestSrv, startChallTestSrv } from '@fdt/testing';
import type { Page } from 'playwright-core';
import { freePort, type Proc, ROOT, spawnNode, type Stack, startStack, waitFor } from '../stack.js';
import { call, PASSWORD, seedOrg } from './api.js';
import { axe, type Browser, launch, screenshot, waitDisabled } from './browser.js';

const OWNER = 'olivia@domains.test';
const VIEWER = 'vera@domains.test';
const HOST = 'app.customer.test';
const UPLOAD_HOST = 'upload.customer.test';

/** A self-signed certificate and key for `cn` (P-256), as PEM files in `dir`. */
function selfSigned(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30'].concat([
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=DNS:${cn}`,
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { cert, key };
}

describe('the admin Custom domains page in Chromium against the real api, relay and DNS (pebble-challtestsrv)', () => {
  let stack: Stack;
  let dns: ChallTestSrv;
  let browser: Browser;
  let page: Page;
  let certDir: string;
  let worker: Proc | undefined;
  const consoleErrors: string[] = [];

  const go = (path: string) => page.goto(stack.apiUrl + path);
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  const signIn = async (email: string) => {
    await go('/sign-in');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/dashboard$/);
  };
  const row = (host: string) => page.locator(`tr[data-domain="${host}"]`);
  /** Refreshes the list until `host`'s certificate shows `status` (the worker moves it on its own). */
  const certificateShows = (host: string, status: string) =>
    waitFor(
      `the certificate of ${host} to be ${status}`,
      async () => {
        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        await new Promise((r) => setTimeout(r, 500));
        return (await row(host).getByTestId('certificate-status').textContent()) === status;
      },
      45_000,
    );
  const expectAccessible = async (what: string) => {
    const violations = await axe(page);
    expect({ page: what, violations }).toEqual({ page: what, violations: [] });
  };

  beforeAll(async () => {
    dns = await startChallTestSrv();
    stack = await startStack({ FDT_DNS_RESOLVERS: dns.dnsAddress });
    const { apiKey } = await seedOrg(stack.apiUrl, OWNER, 'Customer');
    // A viewer, invited through a shared link (no SMTP here) and accepted with a password.
    const invited = await call<{ inviteUrl: string }>(stack.apiUrl, 'POST', '/api/v1/members/invitations', {
      body: { email: VIEWER, role: 'viewer', name: 'Vera Viewer' },
      bearer: apiKey,
    });
    await call(stack.apiUrl, 'POST', '/api/v1/invitations/accept', {
      body: {
        token: new URL(invited.inviteUrl).hash.replace('#token=', ''),
        password: PASSWORD,
        name: 'Vera',
      },
    });
    await call(stack.apiUrl, 'POST', '/api/v1/reserved-names', {
      body: { name: 'customer-app', tlsMode: 'terminate' },
      bearer: apiKey,
    });
    certDir = mkdtempSync(join(os.tmpdir(), 'fdt-admin-certs-'));
    browser = await launch();
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 60_000);

  afterAll(async () => {
    if (process.env.FDT_E2E_DEBUG) console.log(`api:\n${stack?.api.output()}`);
    await browser?.close();
    await worker?.stop();
    await stack?.close();
    await dns?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('adds a domain and shows the TXT and CNAME records to create, with copy buttons', async () => {
    await signIn(OWNER);
    await nav('Custom domains');
    await page.getByText('No custom domains').waitFor();
    await page.getByLabel('Host name').fill('not a host!');
    await page.getByTestId('add-domain').click();
    await page
      .getByTestId('add-error')
      .getByText(/Enter a host name such as/)
      .waitFor();

    await page.getByLabel('Host name').fill('App.Customer.test');
    await page.getByTestId('add-domain').click();
    await row(HOST).getByText('Pending verification').waitFor();
    const records = page.getByTestId('dns-records');
    await expect(
      records.locator('tr[data-record=TXT] [data-testid=record-name]').textContent(),
    ).resolves.toBe(`_fdt-challenge.${HOST}`);
    await expect(
      records.locator('tr[data-record=TXT] [data-testid=record-value]').textContent(),
    ).resolves.toMatch(/^fdt-domain-verification=\S+$/);
    await expect(
      records.locator('tr[data-record=CNAME] [data-testid=record-value]').textContent(),
    ).resolves.toBe('edge.localhost');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.apiUrl });
    await page.getByRole('button', { name: 'Copy TXT record value' }).click();
    await page.getByRole('button', { name: 'Copied TXT record value' }).waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied).toMatch(/^fdt-domain-verification=/);
    await expectAccessible('domains');
  });

  it('verify fails with the code and reason while the TXT record is missing, then passes once it exists', async () => {
    await page.getByTestId('verify-domain').click();
    const failure = page.getByTestId('verify-error');
    await expect(failure.locator('code').textContent()).resolves.toBe('domain_txt_missing');
    await expect(failure.textContent()).resolves.toContain(`no TXT record at _fdt-challenge.${HOST}`);
    await row(HOST).getByTestId('domain-status').getByText('Failed').waitFor();
    await expectAccessible('domains, verification failed');
    await screenshot(page, 'domains', {
      mask: ['tr[data-record=TXT] [data-testid=record-value]'],
      fullPage: true,
    });

    const value = await page
      .getByTestId('dns-records')
      .locator('tr[data-record=TXT] [data-testid=record-value]')
      .textContent();
    await dns.setTxt(`_fdt-challenge.${HOST}`, value ?? '');
    await page.getByTestId('verify-domain').click();
    await row(HOST).getByTestId('domain-status').getByText('Verified').waitFor();
    await expect(page.getByTestId('detail-status').textContent()).resolves.toBe('Verified');
    // Verified: the records are no longer asked for, and a managed certificate is requested.
    expect(await page.getByTestId('dns-records').count()).toBe(0);
    await expect(row(HOST).getByTestId('certificate-status').textContent()).resolves.toMatch(
      /pending|issuing/,
    );
  });

  it('binds the domain to a reserved name and switches its TLS mode', async () => {
    await page.getByLabel('Reserved name').selectOption('customer-app');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('announcer').getByText(`${HOST} saved`).waitFor();
    const d = await call<{ items: { hostname: string; boundName: string | null; tlsMode: string }[] }>(
      stack.apiUrl,
      'GET',
      '/api/v1/domains',
      { bearer: await bearer() },
    );
    expect(d.items.find((x) => x.hostname === HOST)).toMatchObject({ boundName: 'customer-app' });

    await page.getByLabel('HTTPS', { exact: true }).nth(1).selectOption('passthrough');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await row(HOST).locator('td').nth(2).getByText('passthrough').waitFor();
    await row(HOST).getByText('the agent’s own').waitFor();
    await page.getByLabel('HTTPS', { exact: true }).nth(1).selectOption('terminate');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await row(HOST).locator('td').nth(2).getByText('terminate').waitFor();
  });

  it('uploads a certificate from files, and shows why a wrong one is refused', async () => {
    await page.getByLabel('Host name').fill(UPLOAD_HOST);
    await page.getByLabel('Certificate', { exact: true }).selectOption('uploaded');
    await page.getByTestId('add-domain').click();
    await row(UPLOAD_HOST).waitFor();
    await page.getByText('Upload its certificate once the domain is verified.').waitFor();
    const value = await page
      .getByTestId('dns-records')
      .locator('tr[data-record=TXT] [data-testid=record-value]')
      .textContent();
    await dns.setTxt(`_fdt-challenge.${UPLOAD_HOST}`, value ?? '');
    await page.getByTestId('verify-domain').click();
    await row(UPLOAD_HOST).getByTestId('domain-status').getByText('Verified').waitFor();

    const foreign = selfSigned(certDir, 'someone-else.test');
    const own = selfSigned(certDir, UPLOAD_HOST);
    await page.getByLabel('Certificate chain (PEM)').fill(readFileSync(foreign.cert, 'utf8'));
    await page.getByLabel('Private key (PEM)').fill(readFileSync(foreign.key, 'utf8'));
    await page.getByRole('button', { name: 'Upload certificate' }).click();
    await page.getByTestId('upload-error').getByText('(certificate_hostname_mismatch)').waitFor();
    await expectAccessible('domains, certificate refused');

    await page.locator('#cert-file').setInputFiles(own.cert);
    await page.locator('#key-file').setInputFiles(own.key);
    await expect(page.getByLabel('Certificate chain (PEM)').inputValue()).resolves.toContain(
      'BEGIN CERTIFICATE',
    );
    await page.getByRole('button', { name: 'Upload certificate' }).click();
    await row(UPLOAD_HOST).getByTestId('certificate-status').getByText('active').waitFor();
    await expect(page.getByTestId('certificate').textContent()).resolves.toContain(`CN=${UPLOAD_HOST}`);
  });

  it('offers to request a failed managed certificate again, through the verify route (audited)', async () => {
    // A worker whose ACME CA does not answer: the managed certificate of the verified domain
    // (requested when it verified, waiting in the queue) fails after one run, with its error.
    const workerAdmin = await freePort();
    worker = spawnNode(join(ROOT, 'apps/worker/dist/main.js'), [], {
      ...stack.env,
      FDT_WORKER_ADMIN_PORT: String(workerAdmin),
      FDT_ACME_DIRECTORY_URL: 'http://127.0.0.1:9/directory',
      FDT_ACME_RETRY_ATTEMPTS: '1',
    });
    await waitFor(
      `worker /readyz (output: ${worker.output().slice(-600)})`,
      async () => (await fetch(`http://127.0.0.1:${workerAdmin}/readyz`)).ok,
      30_000,
    );
    await row(HOST).getByRole('button', { name: HOST }).click();
    await certificateShows(HOST, 'failed');
    await expect(page.getByTestId('certificate').textContent()).resolves.toContain('Last error');
    // Verified: no "Verify now" any more; the failed certificate has its own action.
    expect(await page.getByTestId('verify-domain').count()).toBe(0);
    const again = page.getByRole('button', { name: 'Request certificate again' });
    await expectAccessible('domains, certificate failed');
    await again.click();
    await page.getByTestId('announcer').getByText(`A certificate for ${HOST} was requested again.`).waitFor();
    const audit = await call<{ items: { action: string; summary: { hostname?: string } }[] }>(
      stack.apiUrl,
      'GET',
      '/api/v1/audit?action=domain.certificate_requested',
      { bearer: await bearer() },
    );
    expect(audit.items.map((e) => e.summary.hostname)).toEqual([HOST]);
    // The worker ran it again (and, with the CA still down, failed it again): the action is back.
    await certificateShows(HOST, 'failed');
    await again.waitFor();
    // Not for an uploaded certificate, which the org replaces itself.
    await row(UPLOAD_HOST).getByRole('button', { name: UPLOAD_HOST }).click();
    await page.getByTestId('certificate').getByText('Uploaded', { exact: true }).waitFor();
    expect(await again.count()).toBe(0);
  });

  it('shows a viewer the domains but no way to change them, and why', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await signIn(VIEWER);
    // Each certificate comes with the list: no request per domain.
    const perDomain: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'GET' && /\/api\/v1\/domains\/[^/?]+$/.test(r.url())) perDomain.push(r.url());
    };
    page.on('request', onRequest);
    await nav('Custom domains');
    await row(HOST).getByText('Verified').waitFor();
    await row(UPLOAD_HOST).getByTestId('certificate-status').getByText('active').waitFor();
    page.off('request', onRequest);
    expect(perDomain).toEqual([]);
    await waitDisabled(page.getByTestId('add-domain'));
    await page
      .getByText(/needs the “domains:manage” permission/)
      .first()
      .waitFor();
    await row(HOST).getByRole('button', { name: HOST }).click();
    await waitDisabled(page.getByRole('button', { name: `Remove ${HOST}` }));
    await waitDisabled(page.getByRole('button', { name: 'Request certificate again' }));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
  });

  it('removes a domain after confirmation', async () => {
    await signIn(OWNER);
    await nav('Custom domains');
    await row(HOST).getByRole('button', { name: HOST }).click();
    await page.getByRole('button', { name: `Remove ${HOST}` }).click();
    const dialog = page.getByRole('dialog', { name: `Remove ${HOST}?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await row(HOST).waitFor();
    await page.getByRole('button', { name: `Remove ${HOST}` }).click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await row(HOST).waitFor({ state: 'detached' });
    await row(UPLOAD_HOST).waitFor();
    const left = await call<{ items: { hostname: string }[] }>(stack.apiUrl, 'GET', '/api/v1/domains', {
      bearer: await bearer(),
    });
    expect(left.items.map((x) => x.hostname)).toEqual([UPLOAD_HOST]);
  });

  it('logged no errors in the browser console (CSP included)', () => {
    // The failed verification (422) and the refused upload (400) answer so on purpose, and a page
    // load without a session asks for a refresh first (401).
    const expected = [
      /400 \(Bad Request\) .*\/api\/v1\/domains\/[^/]+\/certificate$/,
      /422 \(Unprocessable Entity\) .*\/api\/v1\/domains\/[^/]+\/verify$/,
      /401 \(Unauthorized\) .*\/api\/v1\/auth\/refresh$/,
    ];
    expect(consoleErrors.filter((e) => !expected.some((x) => x.test(e)))).toEqual([]);
  });

  /** An access token of the owner, for checking what the page did through the api itself. */
  async function bearer(): Promise<string> {
    const s = await call<{ accessToken: string }>(stack.apiUrl, 'POST', '/api/v1/auth/login', {
      body: { email: OWNER, password: PASSWORD },
    });
    return s.accessToken;
  }
});
