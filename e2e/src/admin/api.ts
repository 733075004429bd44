/** Minimal JSON calls to the api for test setup (the browser does the rest). */
export async function call<T = Record<string, unknown>>(
  apiUrl: string,
  method: string,
  path: string,
  opts: { body?: unknown; bearer?: string } = {},
): Promise<T> {
  const res = await fetch(apiUrl + path, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export const PASSWORD = 'correct horse battery staple';

/** An org with an owner, plus an API key (it does not expire, unlike access tokens). */
export async function seedOrg(
  apiUrl: string,
  owner: string,
  orgName: string,
): Promise<{ apiKey: string; orgId: string }> {
  const s = await call<{ accessToken: string; org: { id: string } }>(apiUrl, 'POST', '/api/v1/auth/signup', {
    body: { email: owner, password: PASSWORD, orgName, name: 'Olivia Owner' },
  });
  const key = await call<{ key: string }>(apiUrl, 'POST', '/api/v1/api-keys', {
    body: { name: 'e2e setup', role: 'owner' },
    bearer: s.accessToken,
  });
  return { apiKey: key.key, orgId: s.org.id };
}
