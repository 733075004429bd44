/** A tiny JSON client over fetch for tests: keeps a cookie jar and a bearer token. */
export class TestClient {
  private cookies = new Map<string, string>();
  bearer?: string;

  constructor(readonly baseUrl: string) {}

  async request(
    method: string,
    path: string,
    opts: { json?: unknown; body?: string; headers?: Record<string, string>; bearer?: string | null } = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on response fields directly
  ): Promise<{ status: number; headers: Headers; body: any; text: string }> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.json !== undefined) headers['content-type'] ??= 'application/json';
    const bearer = opts.bearer === null ? undefined : (opts.bearer ?? this.bearer);
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: opts.body ?? (opts.json !== undefined ? JSON.stringify(opts.json) : undefined),
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c))
        this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), value);
    }
    const text = await res.text();
    let body: unknown = text;
    if (/json/.test(res.headers.get('content-type') ?? '')) body = text ? JSON.parse(text) : undefined;
    return { status: res.status, headers: res.headers, body, text };
  }

  get = (path: string, opts?: Parameters<TestClient['request']>[2]) => this.request('GET', path, opts);
  post = (path: string, json?: unknown, opts?: Parameters<TestClient['request']>[2]) =>
    this.request('POST', path, { ...opts, json });
  patch = (path: string, json?: unknown, opts?: Parameters<TestClient['request']>[2]) =>
    this.request('PATCH', path, { ...opts, json });
  put = (path: string, json?: unknown, opts?: Parameters<TestClient['request']>[2]) =>
    this.request('PUT', path, { ...opts, json });
  delete = (path: string, opts?: Parameters<TestClient['request']>[2]) => this.request('DELETE', path, opts);

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }
}
