import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * panva's oidc-provider (OpenID Certified) on 127.0.0.1 with its development login and
 * consent pages, which the browser fills in. One confidential client, PKCE required; the
 * accounts' claims (email, name, groups) are what the test sets.
 */
export class OidcProvider {
  readonly clientId = 'fdt-admin-e2e';
  readonly clientSecret = randomBytes(24).toString('base64url');
  readonly accounts = new Map<string, { email: string; name: string; groups?: string[] }>();
  private readonly key = {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: 'e2e',
    use: 'sig',
    alg: 'RS256',
  };

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  /** Discovery answers at once (the api checks it when the connection is created). */
  static async start(): Promise<OidcProvider> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const op = new OidcProvider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    op.serve([]);
    return op;
  }

  /** The client's redirect URI names the connection, so it is registered once that exists. */
  registerClient(redirectUri: string): void {
    this.serve([redirectUri]);
  }

  private serve(redirectUris: string[]): void {
    const warn = console.warn;
    console.warn = () => undefined; // its quick-start warnings (memory adapter, dev pages) are the point here
    try {
      const provider = new Provider(this.issuer, {
        clients: redirectUris.length
          ? [
              {
                client_id: this.clientId,
                client_secret: this.clientSecret,
                redirect_uris: redirectUris,
                grant_types: ['authorization_code'],
                response_types: ['code'],
                token_endpoint_auth_method: 'client_secret_basic',
              },
            ]
          : [],
        jwks: { keys: [this.key] },
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
        cookies: { keys: [randomBytes(32).toString('hex')] },
        findAccount: (_ctx, id) => {
          const a = this.accounts.get(id);
          return a
            ? {
                accountId: id,
                claims: () => ({
                  sub: id,
                  email: a.email,
                  email_verified: true,
                  name: a.name,
                  groups: a.groups ?? [],
                }),
              }
            : undefined;
        },
      });
      this.server.removeAllListeners('request');
      this.server.on('request', provider.callback());
    } finally {
      console.warn = warn;
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
