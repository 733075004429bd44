import { randomBytes } from 'node:crypto';
import type { promises as dns } from 'node:dns';
import type { TestClient } from '@fdt/testing';
import { SSO_DNS_RESOLVER } from '@fdt/server-sso';
import { type Harness, startHarness } from '../harness.js';
import { TestDns } from './test-dns.js';

export interface SsoHarness extends Harness {
  dns: TestDns;
}

/**
 * The api with its domain-verification resolver pointed at an in-process DNS server, and
 * (unless `env` says otherwise) allowed to use the local http IdPs of the tests.
 */
export async function startSsoHarness(env: Record<string, string> = {}): Promise<SsoHarness> {
  const h = await startHarness({ FDT_SSO_ALLOW_INSECURE_ISSUERS: 'true', ...env });
  const testDns = await TestDns.start();
  h.api.app.get<symbol, dns.Resolver>(SSO_DNS_RESOLVER).setServers([testDns.address]);
  const close = h.close;
  return Object.assign(h, {
    dns: testDns,
    close: async () => {
      await close();
      await testDns.close();
    },
  });
}

export const uniqueDomain = (tag = 'acme') => `${tag}-${randomBytes(4).toString('hex')}.test`;

/** Adds `domain` to the caller's org, publishes its TXT record and verifies it. */
export async function verifiedDomain(h: SsoHarness, admin: TestClient, domain: string): Promise<string> {
  const added = await admin.post('/api/v1/sso/domains', { domain });
  if (added.status !== 201) throw new Error(`add domain: ${added.status} ${added.text}`);
  h.dns.setTxt(added.body.txtRecord.name, added.body.txtRecord.value);
  const verified = await admin.post(`/api/v1/sso/domains/${added.body.id}/verify`);
  if (verified.status !== 200) throw new Error(`verify domain: ${verified.status} ${verified.text}`);
  return added.body.id;
}

/** A URL under FDT_API_PUBLIC_URL as a path the test client can request. */
export function apiPath(h: Harness, url: string): string {
  const base = h.config.api.publicUrl;
  if (!url.startsWith(`${base}/`)) throw new Error(`${url} is not under ${base}`);
  return url.slice(base.length);
}

/** Where our SSO routes sent the browser: the SPA page and its sso_error, if any. */
export function landing(
  h: Harness,
  res: { status: number; headers: Headers },
): { path: string; error: string | null } {
  if (res.status !== 302) throw new Error(`expected a redirect, got ${res.status}`);
  const url = new URL(res.headers.get('location') ?? '');
  if (url.origin !== new URL(h.config.api.publicUrl).origin)
    throw new Error(`redirect off-site: ${url.href}`);
  return { path: url.pathname, error: url.searchParams.get('sso_error') };
}

/** What the SPA does at /auth/sso/complete: trade the refresh cookie for an access token. */
export async function exchangeRefreshCookie(
  browser: TestClient,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await browser.post('/api/v1/auth/refresh');
  if (res.status === 200) browser.bearer = res.body.accessToken;
  return res;
}

export const postForm = (client: TestClient, path: string, form: Record<string, string>) =>
  client.request('POST', path, {
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

export interface AuditItem {
  action: string;
  actor: { type: string; id: string | null; label: string | null };
  target: { type: string; id: string | null };
  summary: Record<string, unknown>;
}

/** Audit events of the caller's org with this action (newest first). */
export async function auditEvents(admin: TestClient, action: string): Promise<AuditItem[]> {
  const res = await admin.get(`/api/v1/audit?action=${encodeURIComponent(action)}&limit=100`);
  if (res.status !== 200) throw new Error(`audit: ${res.status} ${res.text}`);
  return res.body.items;
}
