import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeStripe, startFakeStripe } from '@fdt/testing';
import { join } from 'node:path';
import pg from 'pg';
import type { Download, Page } from 'playwright-core';
import { freePort, type Proc, spawnNode, ROOT, type Stack, startStack, waitFor } from '../stack.js';
import { call, PASSWORD, seedOrg } from './api.js';
import { axe, type Browser, launch, screenshot, waitDisabled } from './browser.js';

const OWNER = 'olivia@billing.test';
const VIEWER = 'vera@billing.test';
const BILLER = 'bill@billing.test';
const ADMIN = 'ada@billing.test';
const OPERATOR = 'otto@platform.test';

async function text(download: Download): Promise<string> {
  const stream = await download.createReadStream();
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('the admin Billing and Billing operations pages in Chromium against the real api and relay', () => {
  let stack: Stack;
  let stripe: FakeStripe;
  /** applies the providers' webhooks (the built dist) */
  let worker: Proc;
  let browser: Browser;
  let page: Page;
  let ownerKey: string;
  let ownerOrg: string;
  const consoleErrors: string[] = [];

  const go = (path: string) => page.goto(stack.apiUrl + path);
  const mainNav = () => page.getByRole('navigation', { name: 'Main' });
  const nav = (name: string) => mainNav().getByRole('link', { name, exact: true }).click();
  const signIn = async (email: string, lands = /\/dashboard$/) => {
    await go('/sign-in');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(lands);
  };
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
  };
  const usage = (key: string) => page.locator(`[data-limit="${key}"] [data-testid=usage-value]`);
  const expectAccessible = async (what: string) => {
    const violations = await axe(page);
    expect({ page: what, violations }).toEqual({ page: what, violations: [] });
  };
  const invite = async (email: string, role: string, name: string) => {
    const invited = await call<{ inviteUrl: string }>(stack.apiUrl, 'POST', '/api/v1/members/invitations', {
      body: { email, role, name },
      bearer: ownerKey,
    });
    await call(stack.apiUrl, 'POST', '/api/v1/invitations/accept', {
      body: { token: new URL(invited.inviteUrl).hash.replace('#token=', ''), password: PASSWORD, name },
    });
  };

  beforeAll(async () => {
    stripe = await startFakeStripe({
      prices: [
        { id: 'price_pro_monthly', unitAmount: 2000, currency: 'usd' },
        { id: 'price_business_monthly', unitAmount: 9900, currency: 'usd' },
      ],
    });
    stack = await startStack({
      FDT_PLATFORM_OPERATORS: OPERATOR,
      FDT_STRIPE_SECRET_KEY: stripe.secretKey,
      FDT_STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      FDT_STRIPE_API_URL: stripe.apiUrl,
    });
    ({ apiKey: ownerKey, orgId: ownerOrg } = await seedOrg(stack.apiUrl, OWNER, 'Billed'));
    // Platform operator routes never take an API key: the operator signs in (see bearer()).
    await seedOrg(stack.apiUrl, OPERATOR, 'Platform');
    await invite(VIEWER, 'viewer', 'Vera Viewer');
    await invite(BILLER, 'billing', 'Bill Billing');
    await invite(ADMIN, 'admin', 'Ada Admin');
    await call(stack.apiUrl, 'POST', '/api/v1/reserved-names', {
      body: { name: 'billed-app', tlsMode: 'terminate' },
      bearer: ownerKey,
    });
    // The operator role needs a proven address (an emailed invitation or SSO in real life).
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await db.query('UPDATE users SET email_verified_at = now(), password_org_id = NULL WHERE email = $1', [
      OPERATOR,
    ]);
    await db.end();
    const workerAdmin = await freePort();
    worker = spawnNode(join(ROOT, 'apps/worker/dist/main.js'), [], {
      ...stack.env,
      FDT_WORKER_ADMIN_PORT: String(workerAdmin),
    });
    await waitFor(
      'worker /readyz',
      async () => (await fetch(`http://127.0.0.1:${workerAdmin}/readyz`)).ok,
      45_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${worker.output().slice(-2000)}`);
    });
    browser = await launch();
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  }, 90_000);

  afterAll(async () => {
    if (process.env.FDT_E2E_DEBUG) console.log(`api:\n${stack?.api.output()}`);
    if (process.env.FDT_E2E_DEBUG) console.log(`worker:\n${worker?.output()}`);
    await browser?.close();
    await worker?.stop();
    await stack?.close();
    await stripe?.stop();
  });

  it('shows an owner the free plan with its limits and what the org uses', async () => {
    await signIn(OWNER);
    await nav('Billing');
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Free');
    await usage('maxReservedNames').getByText('1 of 20').waitFor();
    await expect(usage('maxReservedTcpPorts').textContent()).resolves.toBe('0 of 10');
    await expect(usage('maxDomains').textContent()).resolves.toBe('0 of 100');
    // Owner, viewer, billing member and admin; free has no member limit.
    await expect(usage('maxMembers').textContent()).resolves.toBe('4 used · unlimited');
    await expect(usage('bandwidthBytesPerMonth').textContent()).resolves.toBe('0 B used · unlimited');
    await expect(usage('maxTunnels').textContent()).resolves.toBe('10');
    await expect(page.getByTestId('features').textContent()).resolves.toContain('24 hours');
    await page.locator('article[data-plan=free]').getByText('Your plan').waitFor();
    await page.getByTestId('finance-table').or(page.getByText('No finance events yet')).waitFor();
    await expectAccessible('billing, free');
  });

  it('does not show Billing to a viewer, and says why when opened by URL', async () => {
    await signOut();
    await signIn(VIEWER);
    await mainNav().getByRole('link', { name: 'Members', exact: true }).waitFor();
    expect(await mainNav().getByRole('link', { name: 'Billing', exact: true }).count()).toBe(0);
    await go('/billing');
    await page.getByRole('heading', { name: 'You cannot open this page' }).waitFor();
    await page.getByText(/needs the “billing:read” permission/).waitFor();
    await signOut();
  });

  it('lets an operator list and edit the plan catalog, refusing bad values', async () => {
    await signIn(OPERATOR);
    await nav('Billing operations');
    const table = page.getByTestId('ops-plans');
    for (const id of ['free', 'pro', 'business', 'enterprise'])
      await table.locator(`tr[data-plan=${id}]`).waitFor();
    await expect(table.locator('tr[data-plan=pro] [data-testid=plan-members]').textContent()).resolves.toBe(
      '25',
    );

    await page.getByRole('button', { name: 'Edit Pro' }).click();
    const editor = page.getByTestId('plan-editor');
    await expect(editor.getByLabel('Bandwidth per month (GiB)').inputValue()).resolves.toBe('500');
    await editor.getByLabel('Members', { exact: true }).fill('-3');
    await editor.getByRole('button', { name: 'Save plan' }).click();
    await page
      .getByTestId('plan-error')
      .getByText(/Members: a whole number/)
      .waitFor();
    await editor.getByLabel('Members', { exact: true }).fill('30');
    await editor.getByLabel('Stripe price id').fill('price_pro_monthly');
    await editor.getByRole('button', { name: 'Save plan' }).click();
    await table.locator('tr[data-plan=pro] [data-testid=plan-members]').getByText('30').waitFor();
    const plans = await call<{
      items: { id: string; limits: { maxMembers: number | null }; prices: object }[];
    }>(stack.apiUrl, 'GET', '/api/v1/platform/billing/plans', { bearer: await bearer(OPERATOR) });
    expect(plans.items.find((p) => p.id === 'pro')).toMatchObject({
      limits: { maxMembers: 30 },
      prices: { stripe: 'price_pro_monthly' },
    });

    // A new plan, copied from free's values, not offered yet.
    await page.getByTestId('new-plan').click();
    await editor.getByLabel('Id', { exact: true }).fill('Team Plan');
    await editor.getByLabel('Name', { exact: true }).fill('Team');
    await editor.getByLabel('Members', { exact: true }).fill('5');
    await editor.getByLabel('Offered to orgs (active)').uncheck();
    await editor.getByRole('button', { name: 'Create plan' }).click();
    await page
      .getByTestId('plan-error')
      .getByText(/Id: a lower-case slug/)
      .waitFor();
    await editor.getByLabel('Id', { exact: true }).fill('team');
    await editor.getByRole('button', { name: 'Create plan' }).click();
    await table.locator('tr[data-plan=team]').getByText('inactive').waitFor();
    await expect(table.locator('tr[data-plan=team] [data-testid=plan-members]').textContent()).resolves.toBe(
      '5',
    );
    await expectAccessible('billing operations');
    await screenshot(page, 'billing-operations', { mask: ['[data-testid=my-org-id]'], fullPage: true });
  });

  it('lists provider webhook events with filters, replays one and queues a reconcile', async () => {
    // An event type billing does not handle: stored as ignored with the reason, answered 200.
    const event = stripe.emit('customer.created', { id: 'cus_e2e', object: 'customer' });
    const delivered = await stripe.deliver(`${stack.apiUrl}/api/v1/billing/webhooks/stripe`, event);
    expect(delivered.status).toBeLessThan(300);
    const row = page.locator(`tr[data-event="${event.id}"]`);
    await page.getByLabel('Provider', { exact: true }).selectOption('stripe');
    await page.getByLabel('Status', { exact: true }).selectOption('ignored');
    await page.getByTestId('webhooks-apply').click();
    await row.getByText('customer.created', { exact: true }).waitFor();
    await row.getByText(/unknown_type/).waitFor();
    await expect(row.textContent()).resolves.toContain('ignored');
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.getByTestId('webhooks-apply').click();
    await row.waitFor({ state: 'detached' });
    await page.getByText('No webhook events match').waitFor();

    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByTestId('webhooks-apply').click();
    const handled = async () => {
      const list = await call<{ items: { eventId: string; status: string; processedAt: string | null }[] }>(
        stack.apiUrl,
        'GET',
        '/api/v1/platform/billing/webhook-events?provider=stripe',
        { bearer: await bearer(OPERATOR) },
      );
      return list.items.find((x) => x.eventId === event.id);
    };
    const before = (await handled())?.processedAt ?? null;
    await row.getByRole('button', { name: `Replay customer.created ${event.id}` }).click();
    await page.getByTestId('announcer').getByText('customer.created queued again').waitFor();
    // The worker takes it again from the stored payload, and again does not handle the type.
    await waitFor('the replayed event handled by the worker', async () => {
      const e = await handled();
      return e?.status === 'ignored' && e.processedAt !== null && e.processedAt !== before;
    });
    await page.getByRole('button', { name: 'Refresh' }).last().click();
    await row.getByText('ignored', { exact: true }).waitFor();
    await page.getByLabel('Reconcile provider').selectOption('stripe');
    await page.getByTestId('reconcile').click();
    await page
      .getByTestId('announcer')
      .getByText(/Reconcile queued/)
      .waitFor();
    await expectAccessible('billing operations, webhook events');
  });

  it('lets an operator assign Pro to the org, which its owner sees after a reload, in finance events and the CSV', async () => {
    await page.getByLabel('Org id').fill('not-an-id');
    await page.getByTestId('assign-plan').click();
    await page
      .getByTestId('assign-error')
      .getByText(/Enter the org’s id/)
      .waitFor();
    await page.getByLabel('Org id').fill(ownerOrg);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByTestId('org-billing').getByText('Free').waitFor();
    await expect(page.getByTestId('org-billing').textContent()).resolves.toContain('1 reserved names');
    await page.getByLabel('Plan', { exact: true }).selectOption('pro');
    await page.getByTestId('assign-plan').click();
    await page.getByTestId('org-billing').getByText('Pro', { exact: true }).waitFor();
    await signOut();

    await signIn(OWNER);
    await nav('Billing');
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Pro');
    await page.reload();
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Pro');
    await expect(page.getByTestId('subscription-provider').textContent()).resolves.toContain('Manual');
    await expect(usage('maxMembers').textContent()).resolves.toBe('4 of 30');
    await page.getByText('A platform operator assigned this plan').waitFor();
    await page.locator('tr[data-type=subscription_changed]').first().waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('finance-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^finance-events-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await text(download);
    expect(csv.split('\r\n')[0]).toContain('type');
    expect(csv).toContain('subscription_changed');
    await expectAccessible('billing, pro');
    await screenshot(page, 'billing', { fullPage: true });

    // A phone: nothing wider than the screen but tables, which scroll in their own box.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('usage').waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible('billing on a phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('starts a provider checkout from Upgrade, and explains the return', async () => {
    // Business is sold through Stripe (enterprise is not: no button, a sentence).
    await call(stack.apiUrl, 'PATCH', '/api/v1/platform/billing/plans/business', {
      body: { prices: { stripe: 'price_business_monthly' } },
      bearer: await bearer(OPERATOR),
    });
    await page.reload();
    await page
      .locator('article[data-plan=enterprise]')
      .getByText('Not sold online: a platform operator assigns it.')
      .waitFor();
    const upgrade = page.getByTestId('upgrade-business');
    // The fake's checkout page is on checkout.stripe.com: answered here instead of the internet
    // (its favicon too, which Chromium may ask for later: the route stays).
    await page.route('https://checkout.stripe.com/**', (r) =>
      r.fulfill({ status: 200, contentType: 'text/html', body: '<title>Stripe Checkout</title>' }),
    );
    await upgrade.click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_/);
    expect([...stripe.checkoutSessions.values()].at(-1)).toMatchObject({
      mode: 'subscription',
      client_reference_id: ownerOrg,
    });
    // Where CHECKOUT's provider pages send the buyer back.
    await go('/billing?checkout=canceled&provider=stripe&plan=business');
    await page.getByTestId('checkout-notice').getByText('Checkout cancelled').waitFor();
    await page.waitForURL((u) => u.pathname === '/billing' && u.search === '');
    await go('/billing?checkout=success&provider=stripe&plan=business');
    await page
      .getByTestId('checkout-notice')
      .getByText(/changes to business here as soon as the payment provider confirms/)
      .waitFor();
    await page.getByTestId('plan-pending').waitFor();
    await signOut();
  });

  it('shows a billing member Billing (with finance events) and no member management, with the reason', async () => {
    await signIn(BILLER, /\/billing$/);
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Pro');
    await page.locator('tr[data-type=subscription_changed]').first().waitFor();
    await mainNav().getByRole('link', { name: 'Billing', exact: true }).waitFor();
    expect(await mainNav().getByRole('link', { name: 'Members', exact: true }).count()).toBe(0);
    expect(await mainNav().getByRole('link', { name: 'Billing operations', exact: true }).count()).toBe(0);
    await go('/members');
    await page.getByText(/needs the “members:read” permission/).waitFor();
    await go('/platform/billing');
    await page.getByText(/This page is for platform operators/).waitFor();
    await signOut();
  });

  it('shows an admin the plan but not the money: Upgrade and finance events need billing:manage', async () => {
    await signIn(ADMIN);
    await nav('Billing');
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Pro');
    await waitDisabled(page.getByTestId('upgrade-business'));
    await page.getByText('Finance events are for owners and the billing role.').waitFor();
    await page
      .getByText(/needs the “billing:manage” permission/)
      .first()
      .waitFor();
    expect(await page.getByTestId('finance-table').count()).toBe(0);
    await waitDisabled(page.getByTestId('return-to-free'));
    await expectAccessible('billing, admin');
    await signOut();
  });

  it('lets the owner leave an operator-assigned plan for Free, after confirming', async () => {
    await signIn(OWNER);
    await nav('Billing');
    await page.getByTestId('return-to-free').click();
    const dialog = page.getByRole('dialog', { name: 'Leave Pro for Free now?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Pro');
    await page.getByTestId('return-to-free').click();
    await dialog.getByRole('button', { name: 'Return to Free' }).click();
    await page.getByTestId('plan-name').getByText('Free', { exact: true }).waitFor();
    await page.locator('tr[data-type=subscription_canceled]').first().waitFor();
    await signOut();
  });

  it('completes a Stripe checkout end to end: its webhooks, applied by the worker, put the org on Business while the buyer waits; cancel at period end reaches Stripe', async () => {
    const webhooks = `${stack.apiUrl}/api/v1/billing/webhooks/stripe`;
    const deliverFrom = async (from: number) => {
      for (const e of stripe.events.slice(from)) expect((await stripe.deliver(webhooks, e)).status).toBe(200);
    };
    await signIn(OWNER);
    await nav('Billing');
    await page.getByTestId('upgrade-business').click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_/);
    const sessionId = new URL(page.url()).pathname.split('/').pop() ?? '';
    // The buyer pays at Stripe; Stripe sends its events and the buyer back.
    const from = stripe.events.length;
    stripe.completeCheckout(sessionId);
    await go('/billing?checkout=success&provider=stripe&plan=business');
    await page.getByTestId('plan-pending').waitFor();
    await deliverFrom(from);
    await page
      .getByTestId('checkout-notice')
      .getByText('You are on the Business plan.')
      .waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Business');
    await expect(page.getByTestId('subscription-provider').textContent()).resolves.toBe('Stripe');
    await expect(page.getByTestId('subscription-status').textContent()).resolves.toBe('active');
    await page.locator('tr[data-type=payment_succeeded]').getByText('$99.00').waitFor();

    const before = stripe.events.length;
    await page.getByTestId('cancel-period-end').click();
    await page
      .getByRole('dialog', { name: 'Cancel Business at the end of the period?' })
      .getByRole('button', { name: 'Cancel at period end' })
      .click();
    await page
      .getByTestId('checkout-notice')
      .getByText(/Cancelled at the end of the period/)
      .waitFor();
    const sub = [...stripe.subscriptions.values()].at(-1);
    expect(sub).toMatchObject({ cancel_at_period_end: true });
    await deliverFrom(before);
    await waitFor(
      'the cancellation applied',
      async () => {
        await page.reload();
        await page.getByTestId('plan-card').waitFor();
        return (await page.getByTestId('cancel-at-period-end').textContent()) === 'yes';
      },
      30_000,
    );
    // Still Business until the paid period ends.
    await expect(page.getByTestId('plan-name').textContent()).resolves.toBe('Business');
    await expectAccessible('billing, stripe subscription');
    await signOut();
  });

  it('logged no errors in the browser console (CSP included)', () => {
    // A page load without a session asks for a refresh first (401).
    const expected = [/401 \(Unauthorized\) .*\/api\/v1\/auth\/refresh$/];
    expect(consoleErrors.filter((e) => !expected.some((x) => x.test(e)))).toEqual([]);
  });

  /** An access token (platform operator routes refuse API keys). */
  async function bearer(email: string): Promise<string> {
    const s = await call<{ accessToken: string }>(stack.apiUrl, 'POST', '/api/v1/auth/login', {
      body: { email, password: PASSWORD },
    });
    return s.accessToken;
  }
});
