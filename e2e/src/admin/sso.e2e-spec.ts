import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { type Stack, startStack } from '../stack.js';
import { call, seedOrg } from './api.js';
import { axe, type Browser, launch, screenshot } from './browser.js';
import { TestOidcProvider } from '@fdt/testing/oidc-provider';

const DOMAIN = 'globex.test';

describe('single sign-on in Chromium: the admin, the real api and oidc-provider', () => {
  let stack: Stack;
  let browser: Browser;
  let op: TestOidcProvider;
  let apiKey: string;

  beforeAll(async () => {
    // oidc-provider runs on http://127.0.0.1: a local IdP the api refuses unless told.
    stack = await startStack({ FDT_SSO_ALLOW_INSECURE_ISSUERS: 'true' });
    op = await TestOidcProvider.start();
    ({ apiKey } = await seedOrg(stack.apiUrl, 'owner@globex.test', 'Globex'));
    // The domain's TXT verification is the SSO lib's own test (it needs a DNS server the api
    // process can be pointed at); here the domain is marked verified in the database.
    const domain = await call<{ id: string }>(stack.apiUrl, 'POST', '/api/v1/sso/domains', {
      body: { domain: DOMAIN },
      bearer: apiKey,
    });
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    await db.query('UPDATE sso_domains SET verified_at = now() WHERE id = $1', [domain.id]);
    await db.end();
    const connection = await call<{ id: string; oidc: { redirectUri: string } }>(
      stack.apiUrl,
      'POST',
      '/api/v1/sso/connections',
      {
        body: {
          protocol: 'oidc',
          name: 'Globex IdP',
          oidc: {
            issuer: op.issuer,
            clientId: op.clientId,
            clientSecret: op.clientSecret,
            scopes: 'openid email profile groups',
          },
          groupRoles: [{ group: 'platform-team', role: 'admin' }],
        },
        bearer: apiKey,
      },
    );
    op.registerClient(connection.oidc.redirectUri);
    op.accounts.set('ana', { email: `ana@${DOMAIN}`, name: 'Ana Lima', groups: ['platform-team'] });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await op?.close();
    await stack?.close();
  });

  it('signs in with “Continue with SSO” through the identity provider', async () => {
    const page = browser.page;
    await page.goto(`${stack.apiUrl}/sign-in`);
    await page.getByLabel('Work email').fill(`ana@${DOMAIN}`);
    await page.getByRole('button', { name: 'Continue with SSO' }).click();
    // oidc-provider's development login and consent pages.
    await page.waitForURL((u) => u.href.startsWith(op.issuer));
    await page.locator('input[name=login]').fill('ana');
    await page.locator('input[name=password]').fill('anything');
    await page.locator('button[type=submit]').click();
    await page.locator('button[type=submit]', { hasText: /continue/i }).click();
    await page.waitForURL(/\/dashboard$/, { timeout: 20_000 });
    await expect(page.getByTestId('user-email').textContent()).resolves.toBe(`ana@${DOMAIN}`);
    await expect(page.getByTestId('org-name').textContent()).resolves.toBe('Globex');
    // The IdP group mapped to a role.
    await expect(page.getByTestId('user-role').textContent()).resolves.toBe('Admin');
    // A reload keeps the session (refresh cookie), without going back to the IdP.
    await page.reload();
    await page.getByTestId('user-email').waitFor();
    expect(page.url()).toMatch(/\/dashboard$/);
    const audit = await call<{ items: { action: string; summary: { method?: string } }[] }>(
      stack.apiUrl,
      'GET',
      '/api/v1/audit?action=auth.login',
      { bearer: apiKey },
    );
    expect(audit.items[0].summary.method).toBe('oidc');
  });

  it('shows the SSO and SCIM settings to an admin: connection, SP details, SCIM token once', async () => {
    const page = browser.page;
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Single sign-on' })
      .click();
    const connection = page.locator('[data-connection="Globex IdP"]');
    await connection.getByText('OpenID Connect').waitFor();
    await connection.getByText(/\/api\/v1\/sso\/oidc\/.+\/callback/).waitFor();
    await page.getByText(DOMAIN).first().waitFor();
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'sso-settings', { fullPage: true });

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'SCIM provisioning' })
      .click();
    await expect(page.getByTestId('scim-url').textContent()).resolves.toBe(`${stack.apiUrl}/scim/v2`);
    await page.getByLabel('Description').fill('Globex IdP');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(token).toMatch(/^fdt_scim_/);
    // The token works against the SCIM endpoint.
    const res = await fetch(`${stack.apiUrl}/scim/v2/Users?count=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'scim-settings', { mask: ['[data-testid=secret-value]'] });
  });

  it('explains an SSO failure on the sign-in page, and an email domain without SSO', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${stack.apiUrl}/sign-in?sso_error=state_mismatch`);
    await page.getByText(/did not complete|took too long|Start again/).waitFor();
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'sign-in-sso-error');
    await page.getByLabel('Work email').fill('someone@elsewhere.test');
    await page.getByRole('button', { name: 'Continue with SSO' }).click();
    await page
      .getByTestId('sign-in-error')
      .getByText(/not set up for elsewhere\.test/)
      .waitFor();
  });
});
