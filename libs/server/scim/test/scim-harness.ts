import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditModule } from '@fdt/audit';
import { IdentityModule } from '@fdt/identity';
import type { PubSub } from '@fdt/ports';
import {
  createHttpApp,
  listen,
  loadPlatformConfig,
  type PlatformConfig,
  PlatformConfigModule,
  PlatformCryptoModule,
  PlatformDatabaseModule,
  PlatformLoggingModule,
  PlatformPortsModule,
  PUBSUB,
} from '@fdt/server-core';
import {
  createTestDatabase,
  deleteRedisKeys,
  TestClient,
  testEnv,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@fdt/testing';
import { TunnelsModule } from '@fdt/tunnels';
import { ScimModule } from '../src/scim.module.js';

/** The api's composition for what SCIM touches: identity, tunnels, audit and SCIM itself. */
@Module({})
class ScimTestAppModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: ScimTestAppModule,
      imports: [
        PlatformConfigModule.forRoot(config),
        PlatformLoggingModule.forRoot(config, 'scim-test'),
        PlatformDatabaseModule.forRoot(config),
        PlatformPortsModule.forRoot(config),
        PlatformCryptoModule,
        AuditModule,
        IdentityModule,
        TunnelsModule,
        ScimModule,
      ],
    };
  }
}

export const PASSWORD = 'correct horse battery staple';
let n = 0;
export const uniqueEmail = (tag = 'user') => `${tag}-${Date.now().toString(36)}-${n++}@example.test`;

export interface Owner {
  client: TestClient;
  orgId: string;
  userId: string;
  email: string;
}

export interface ScimHarness {
  app: INestApplication;
  url: string;
  ds: DataSource;
  pubsub: PubSub;
  client(): TestClient;
  signup(email?: string): Promise<Owner>;
  /** Adds a member with a password and returns a client signed in as them. */
  member(
    owner: TestClient,
    role: string,
    email?: string,
  ): Promise<{ client: TestClient; userId: string; email: string }>;
  /** A SCIM token of the owner's org and a client that sends it. */
  scim(owner: TestClient): Promise<{ client: ScimClient; token: string; id: string }>;
  close(): Promise<void>;
}

/** Sends SCIM requests: application/scim+json bodies with the token as bearer. */
export class ScimClient {
  constructor(
    readonly http: TestClient,
    readonly token: string,
  ) {}

  request(method: string, path: string, json?: unknown, headers: Record<string, string> = {}) {
    return this.http.request(method, `/scim/v2${path}`, {
      bearer: this.token,
      headers: { 'content-type': 'application/scim+json', ...headers },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers);
  post = (path: string, json: unknown, headers?: Record<string, string>) =>
    this.request('POST', path, json, headers);
  put = (path: string, json: unknown, headers?: Record<string, string>) =>
    this.request('PUT', path, json, headers);
  patch = (path: string, json: unknown, headers?: Record<string, string>) =>
    this.request('PATCH', path, json, headers);
  delete = (path: string, headers?: Record<string, string>) =>
    this.request('DELETE', path, undefined, headers);
}

/** A real app (HTTP, PostgreSQL, Redis) on a fresh database, as the api composes SCIM. */
export async function startScimHarness(): Promise<ScimHarness> {
  const db: TestDatabase = await createTestDatabase();
  const config = loadPlatformConfig(
    testEnv(db.url, {
      REDIS_URL: TEST_REDIS_URL,
      FDT_PORTS_NAMESPACE: db.name,
      FDT_RATE_LIMIT_PER_MINUTE: '100000',
    }),
  );
  const app = await createHttpApp(ScimTestAppModule.forRoot(config), config, { title: 'scim-test', port: 0 });
  const port = await listen(app, config, 0);
  const url = `http://127.0.0.1:${port}`;
  const h: ScimHarness = {
    app,
    url,
    ds: app.get(DataSource),
    pubsub: app.get<PubSub>(PUBSUB),
    client: () => new TestClient(url),
    async signup(email = uniqueEmail('owner')) {
      const client = h.client();
      const res = await client.post('/api/v1/auth/signup', {
        email,
        password: PASSWORD,
        orgName: `Org ${email}`,
      });
      if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
      client.bearer = res.body.accessToken;
      return { client, orgId: res.body.org.id, userId: res.body.user.id, email };
    },
    async member(owner, role, email = uniqueEmail(role)) {
      // Invited and accepted through the link, as an org without SMTP or verified domains does.
      const invited = await owner.post('/api/v1/members/invitations', { email, role });
      if (invited.status !== 201 || !invited.body.inviteUrl)
        throw new Error(`invite failed: ${invited.status} ${invited.text}`);
      const token = new URL(invited.body.inviteUrl).hash.replace('#token=', '');
      const accepted = await h.client().post('/api/v1/invitations/accept', { token, password: PASSWORD });
      if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${accepted.text}`);
      const added = { body: { userId: invited.body.member.userId as string } };
      const client = h.client();
      const login = await client.post('/api/v1/auth/login', { email, password: PASSWORD });
      if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
      client.bearer = login.body.accessToken;
      return { client, userId: added.body.userId, email };
    },
    async scim(owner) {
      const res = await owner.post('/api/v1/scim/tokens', { description: 'test IdP' });
      if (res.status !== 201) throw new Error(`scim token failed: ${res.status} ${res.text}`);
      return { client: new ScimClient(h.client(), res.body.token), token: res.body.token, id: res.body.id };
    },
    async close() {
      await app.close();
      await db.drop();
      await deleteRedisKeys([db.name]);
    },
  };
  return h;
}
