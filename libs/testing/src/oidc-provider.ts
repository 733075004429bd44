import { generateKeyPairSync, type JsonWebKey as JWK, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface TestAccount {
  email: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

/**
 * A certified OpenID Provider (panva's oidc-provider) started in-process: one static
 * confidential client, PKCE required, accounts whose claims (email, groups) the test sets,
 * and the provider's development login/consent pages (driven with fetch by `signIn`, or
 * by a browser). Shared by the api's SSO tests and the admin's browser tests.
 */
export class TestOidcProvider {
  readonly accounts = new Map<string, TestAccount>();
  readonly clientId = 'fdt-test';
  readonly clientSecret = randomBytes(24).toString('base64url');
  private readonly cookieKey = randomBytes(32).toString('hex');

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly signingKey: JWK,
  ) {}

  /**
   * Serves the issuer at once (fdt checks discovery when a connection is created), with no
   * client yet: the client's redirect URI names the connection, known only after that.
   */
  static async start(): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' };
    const self = new TestOidcProvider(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      jwk,
    );
    self.serve(self.provider([]));
    return self;
  }

  /**
   * Registers the one static confidential client (client_secret_basic, PKCE S256 required)
   * with its redirect URI. The provider is rebuilt with the same issuer: nothing it issued
   * before exists yet, and discovery answers the same.
   */
  registerClient(redirectUri: string): void {
    this.serve(
      this.provider([
        {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ]),
    );
  }

  private serve(provider: Provider): void {
    this.server.removeAllListeners('request');
    this.server.on('request', provider.callback());
  }

  private provider(clients: ClientMetadata[]): Provider {
    // Its quick-start warnings (memory adapter, dev interactions) are the point here: keep them quiet.
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      return this.build(clients);
    } finally {
      console.warn = warn;
    }
  }

  private build(clients: ClientMetadata[]): Provider {
    return new Provider(this.issuer, {
      clients,
      jwks: { keys: [this.signingKey] },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name'],
        groups: ['groups'],
      },
      cookies: { keys: [this.cookieKey] },
      findAccount: (_ctx, id) => {
        const account = this.accounts.get(id);
        if (!account) return undefined;
        return {
          accountId: id,
          claims: () => ({
            sub: id,
            email: account.email,
            email_verified: account.email_verified ?? true,
            name: account.name ?? id,
            groups: account.groups ?? [],
          }),
        };
      },
    });
  }

  /**
   * Plays the user at the provider: follows the authorization request through the dev login
   * and consent pages (with the provider's own cookie jar) and returns the final redirect to
   * our callback.
   */
  async signIn(authorizationUrl: string, accountId: string): Promise<URL> {
    const jar = new Map<string, string>();
    const go = async (url: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        jar.set(pair.slice(0, i), pair.slice(i + 1));
      }
      return res;
    };
    let url = authorizationUrl;
    for (let step = 0; step < 12; step++) {
      if (!url.startsWith(this.issuer)) return new URL(url);
      const res = await go(url);
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location') ?? '', url).href;
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${html.slice(0, 500)}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      if (!action || !prompt) throw new Error(`unexpected provider page: ${html.slice(0, 500)}`);
      const form = new URLSearchParams({ prompt });
      if (prompt === 'login') {
        form.set('login', accountId);
        form.set('password', 'any');
      }
      const posted = await go(new URL(action, url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      if (posted.status < 300 || posted.status >= 400) {
        throw new Error(`provider form answered ${posted.status}: ${(await posted.text()).slice(0, 500)}`);
      }
      url = new URL(posted.headers.get('location') ?? '', url).href;
    }
    throw new Error('too many steps at the provider');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
