import http from 'node:http';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { forward, type Listener } from '@fdt/agent';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { type Stack, startStack } from '../stack.js';
import { visit } from '../visitor.js';
import { call, PASSWORD, seedOrg } from './api.js';
import { axe, type Browser, launch, screenshot, waitDisabled } from './browser.js';

const OWNER = 'olivia@acme.test';
const DEV = 'dev@acme.test';
const VIEWER = 'vera@acme.test';
const NEWCOMER = 'nico@acme.test';
// Short-lived access tokens: every step past 8 s runs on a refreshed session.
const ACCESS_TTL_SECONDS = 8;

/** A POST with a body through the tunnel, as a visitor (no DNS for *.localhost). */
function post(
  url: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(u.port),
        method: 'POST',
        path,
        headers: { host: u.host, 'content-type': 'application/json', ...headers },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the admin SPA in Chromium against the real api and relay', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let apiKey: string;
  let origin: http.Server;
  const hits: { method: string; url: string; body: string }[] = [];
  let listener: Listener | undefined;
  let authtoken = '';
  let inviteUrl = '';
  const consoleErrors: string[] = [];

  const go = (path: string) => page.goto(stack.apiUrl + path);
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  const expectAccessible = async (what: string) => {
    const violations = await axe(page);
    expect({ page: what, violations }).toEqual({ page: what, violations: [] });
  };

  beforeAll(async () => {
    stack = await startStack({
      FDT_ACCESS_TOKEN_TTL: String(ACCESS_TTL_SECONDS),
      FDT_PLATFORM_OPERATORS: OWNER,
    });
    ({ apiKey } = await seedOrg(stack.apiUrl, OWNER, 'Acme'));
    for (const [email, role, name] of [
      [DEV, 'member', 'Dana Developer'],
      [VIEWER, 'viewer', 'Vera Viewer'],
    ]) {
      // Invited through a shared link (no SMTP here) and accepted with a password of their own.
      const invited = await call<{ inviteUrl: string }>(stack.apiUrl, 'POST', '/api/v1/members/invitations', {
        body: { email, role, name },
        bearer: apiKey,
      });
      const token = new URL(invited.inviteUrl).hash.replace('#token=', '');
      await call(stack.apiUrl, 'POST', '/api/v1/invitations/accept', {
        body: { token, password: PASSWORD, name },
      });
    }
    // The operator role needs a proven address (an emailed invitation or SSO in real life).
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await db.query('UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE email = $1', [
      OWNER,
    ]);
    await db.end();
    origin = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hits.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            hello: 'from the origin',
            method: req.method,
            path: req.url,
            received: body.length,
          }),
        );
      });
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    browser = await launch();
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 60_000);

  afterAll(async () => {
    if (process.env.FDT_E2E_DEBUG)
      console.log(`api:\n${stack?.api.output()}\nrelay:\n${stack?.relay.output()}`);
    await listener?.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
    origin?.close();
  });

  it('signs in with a password, and says clearly when it is wrong', async () => {
    await go('/');
    await page.waitForURL(/\/sign-in/);
    await expect(page.getByRole('heading', { name: 'Sign in to fdt' }).isVisible()).resolves.toBe(true);
    await expectAccessible('sign-in');
    await screenshot(page, 'sign-in');

    await page.getByLabel('Work email').fill(OWNER);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByTestId('sign-in-error').textContent()).resolves.toMatch(/do not match/);

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/dashboard$/);
    await expect(page.getByTestId('org-name').textContent()).resolves.toBe('Acme');
    await expect(page.getByTestId('user-role').textContent()).resolves.toBe('Owner');
  });

  it('creates an authtoken and shows it once', async () => {
    await nav('Authtokens & API keys');
    await page.getByLabel('Description').fill('e2e laptop');
    await page.getByTestId('create-authtoken').click();
    authtoken = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(authtoken).toMatch(/^fdt_at_[A-Za-z0-9_-]{43}$/);
    await screenshot(page, 'tokens', { mask: ['[data-testid=secret-value]', '.small code'] });
    await page.reload();
    await page.getByTestId('authtokens-table').getByText('e2e laptop').waitFor();
    expect(await page.getByTestId('secret-value').count()).toBe(0);
    expect(await page.content()).not.toContain(authtoken);
  });

  it('shows a tunnel opened with the SDK online, without reloading', async () => {
    await nav('Tunnels');
    await page.getByText('No tunnels yet').waitFor();
    await page.getByTestId('live-status').getByText('Live').waitFor();
    listener = await forward({
      addr: (origin.address() as net.AddressInfo).port,
      authtoken,
      apiUrl: stack.apiUrl,
      name: 'acme-shop',
      ca: readFileSync(join(stack.env.FDT_RELAY_TLS_DIR, 'ca.pem')),
    });
    const row = page.locator('tr[data-tunnel="acme-shop"]');
    await row.getByText('Online').waitFor({ timeout: 20_000 });
    await expect(row.locator('code').textContent()).resolves.toBe(listener.url());
    await expectAccessible('tunnels');
    await screenshot(page, 'tunnels');

    await nav('Dashboard');
    await page.getByTestId('stat-tunnels').getByText('1', { exact: false }).waitFor();
    await expect(page.getByTestId('stat-agents').textContent()).resolves.toBe('1');
    await expectAccessible('dashboard');
    await screenshot(page, 'dashboard');
  });

  it('shows a request in the inspector as it happens, with its body', async () => {
    await nav('Tunnels');
    await page.locator('tr[data-tunnel="acme-shop"]').getByRole('link', { name: 'acme-shop' }).click();
    await page.getByRole('heading', { name: 'Edge policy' }).waitFor();
    await page.getByRole('link', { name: 'Inspect traffic' }).click();
    await page.waitForURL(/\/inspector\/acme-shop/);
    await page.getByText('No requests yet').waitFor();
    await page.getByTestId('live-status').getByText('Live').waitFor();

    const url = listener?.url() as string;
    expect(await post(url, '/orders?source=e2e', JSON.stringify({ item: 'tea', qty: 2 }))).toBe(200);
    const item = page.locator('[data-testid=request-list] button[data-path="/orders?source=e2e"]');
    await item.first().waitFor();
    await item.first().click();
    await expect(page.getByTestId('detail-status').textContent()).resolves.toBe('200');
    const bodies = page.getByTestId('body-text');
    await expect(bodies.first().textContent()).resolves.toContain('"item": "tea"');
    await expect(bodies.nth(1).textContent()).resolves.toContain('"hello": "from the origin"');
    await expectAccessible('inspector');
    await screenshot(page, 'inspector');
  });

  it('replays the request through the tunnel', async () => {
    const before = hits.length;
    await page.getByTestId('replay').click();
    await expect(page.getByTestId('replay-result').textContent()).resolves.toMatch(/answered 200/);
    expect(hits.length).toBe(before + 1);
    expect(hits[hits.length - 1]).toEqual({
      method: 'POST',
      url: '/orders?source=e2e',
      body: '{"item":"tea","qty":2}',
    });
    // The replayed request is recorded like any other and streams into the list.
    await page.locator('[data-testid=request-list] button[data-path="/orders?source=e2e"]').nth(1).waitFor();

    await page.getByRole('button', { name: 'Replay with edits…' }).click();
    await page.getByLabel('Path').fill('/orders?source=edited');
    await page.getByRole('button', { name: 'Send' }).click();
    await page
      .getByTestId('replay-result')
      .getByText(/with edits: the tunnel answered 200/)
      .waitFor();
    expect(hits[hits.length - 1].url).toBe('/orders?source=edited');
  });

  it('edits the edge policy, which the relay applies without restarting the agent', async () => {
    await nav('Tunnels');
    await page.locator('tr[data-tunnel="acme-shop"]').getByRole('link', { name: 'acme-shop' }).click();
    const url = listener?.url() as string;
    await page.getByRole('heading', { name: 'Edge policy' }).waitFor();
    await page.getByRole('button', { name: 'Add a user' }).click();
    await page.getByLabel('User', { exact: true }).fill('ops');
    await page.getByLabel('Password', { exact: true }).fill('edge-secret-1');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved. Relays apply the new policy now.').waitFor();
    await waitUntil(async () => (await visit(url)).status === 401);
    const basic = `Basic ${Buffer.from('ops:edge-secret-1').toString('base64')}`;
    expect((await visit(url, { headers: { authorization: basic } })).status).toBe(200);
    await screenshot(page, 'tunnel-detail', { fullPage: true });

    await page.getByRole('button', { name: 'Remove user ops' }).click();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved. Relays apply the new policy now.').waitFor();
    await waitUntil(async () => (await visit(url)).status === 200);
  });

  it("changes a member's role", async () => {
    await nav('Members');
    const row = page.locator(`tr[data-email="${DEV}"]`);
    await row.waitFor();
    await expectAccessible('members');
    await screenshot(page, 'members');
    await row.getByTestId('member-role').selectOption('admin');
    const dialog = page.getByRole('dialog', { name: `Change ${DEV}’s role?` });
    await dialog.getByRole('button', { name: 'Change role' }).click();
    await page.getByTestId('announcer').getByText(`${DEV} is now Admin.`).waitFor();
    const members = await call<{ items: { email: string; role: string }[] }>(
      stack.apiUrl,
      'GET',
      '/api/v1/members',
      {
        bearer: apiKey,
      },
    );
    expect(members.items.find((m) => m.email === DEV)?.role).toBe('admin');
    // An invitation: a pending member until they accept, with a link to choose a password.
    await page.getByLabel('Email', { exact: true }).fill(NEWCOMER);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Invite' }).click();
    inviteUrl = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(inviteUrl).toMatch(new RegExp(`^${stack.apiUrl}/invitations/accept#token=fdt_iv_`));
    await page.locator(`tr[data-email="${NEWCOMER}"]`).getByText('invitation pending').waitFor();
    // The last owner is protected, and the page says why.
    const ownerRow = page.locator(`tr[data-email="${OWNER}"]`);
    await waitDisabled(ownerRow.getByTestId('member-role'));
    await ownerRow.getByText('The last owner cannot be demoted or removed').waitFor();
  });

  it('lists those actions in the audit log, with an intact chain', async () => {
    await nav('Audit log');
    await page
      .getByTestId('integrity')
      .getByText(/Chain intact/)
      .waitFor();
    for (const action of [
      'authtoken.created',
      'tunnel.request_replayed',
      'tunnel_policy.updated',
      'member.role_changed',
    ]) {
      await page.locator(`tr[data-action="${action}"]`).first().waitFor();
    }
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-\d{8}T\d{6}Z\.csv$/);
    const csv = await new Promise<string>((resolve, reject) => {
      void download.createReadStream().then((s) => {
        let text = '';
        s.on('data', (d) => (text += d));
        s.on('end', () => resolve(text));
        s.on('error', reject);
      }, reject);
    });
    expect(csv).toContain('member.role_changed');
    expect(csv).toContain('tunnel.request_replayed');
    await page.getByLabel('Action').fill('member.*');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('tr[data-action="authtoken.created"]').waitFor({ state: 'detached' });
    await page.locator('tr[data-action="member.role_changed"]').waitFor();
    await screenshot(page, 'audit');
  });

  it('reserves a name, and shows relays and regions to a platform operator', async () => {
    await nav('Reserved names');
    await page.getByLabel('Name', { exact: true }).fill('acme-api');
    await page.getByRole('button', { name: 'Reserve' }).first().click();
    await page.getByText('acme-api.localhost', { exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Not Valid!');
    await page.getByRole('button', { name: 'Reserve' }).first().click();
    await page.getByText('Use 1-63 letters, digits and inner hyphens').waitFor();
    await screenshot(page, 'reservations');

    await nav('Relays & regions');
    const relay = page.getByRole('row', { name: /e2e-relay/ });
    await relay.getByText('live').waitFor();
    await screenshot(page, 'relays');
    await relay.getByLabel('Weight of e2e-relay').fill('0');
    await relay.getByLabel('Weight of e2e-relay').press('Enter');
    await page.getByTestId('announcer').getByText('e2e-relay drains').waitFor();
    await relay.getByLabel('Weight of e2e-relay').fill('100');
    await relay.getByLabel('Weight of e2e-relay').press('Tab');
    await page.getByTestId('announcer').getByText('weight set to 100').waitFor();
  });

  it('keeps the session across an expired access token (refresh cookie), and across a reload', async () => {
    await new Promise((r) => setTimeout(r, (ACCESS_TTL_SECONDS + 1) * 1000));
    await nav('Members');
    await page.getByTestId('members-table').waitFor();
    await page.reload();
    await page.getByTestId('members-table').waitFor();
    expect(page.url()).toMatch(/\/members$/);
  });

  it('lets an invited person choose a password and sign in from the link', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(inviteUrl);
    await page.getByText(`Choose a password for ${NEWCOMER}`).waitFor();
    await page.getByLabel('Your name').fill('Nico');
    await page.getByLabel('Password', { exact: true }).fill('nico password 123');
    await page.getByLabel('Password again').fill('nico password 123');
    await page.getByRole('button', { name: 'Join and sign in' }).click();
    await page.waitForURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email').textContent()).resolves.toBe(NEWCOMER);
    await expect(page.getByTestId('user-role').textContent()).resolves.toBe('Viewer');
    // The link works once.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(inviteUrl);
    await page.getByText(/not valid \(already used or replaced\)/).waitFor();
  });

  it('shows a viewer what they cannot do, and why', async () => {
    await go('/sign-in');
    await page.getByLabel('Work email').fill(VIEWER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/dashboard$/);
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await nav('Authtokens & API keys');
    await waitDisabled(page.getByTestId('create-authtoken'));
    await page.getByText(/needs the “authtokens:manage” permission/).waitFor();
    await go('/audit');
    await page.getByRole('heading', { name: 'You cannot open this page' }).waitFor();
    await go('/members');
    await waitDisabled(page.locator(`tr[data-email="${DEV}"]`).getByTestId('member-role'));
  });

  it('fits a phone screen: the navigation folds into a menu', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await go('/tunnels');
    await page.locator('tr[data-tunnel="acme-shop"]').waitFor();
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await menu.click();
    await page.locator('button[aria-controls=nav][aria-expanded=true]').waitFor();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Dashboard', exact: true })
      .waitFor();
    // Nothing wider than the screen but the tables, which scroll inside their own box.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible('tunnels on a phone');
    await screenshot(page, 'tunnels-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('logged no errors in the browser console (CSP included)', () => {
    // 401s of expired access tokens are expected (they are refreshed and retried); nothing else.
    // and the 404 of the invitation link used a second time.
    const expected = [/401 \(Unauthorized\)/, /404 \(Not Found\) .*\/api\/v1\/invitations\/lookup$/];
    expect(consoleErrors.filter((e) => !expected.some((x) => x.test(e)))).toEqual([]);
  });
});

async function waitUntil(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
