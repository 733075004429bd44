import { createTestDatabase, TestClient, testEnv, TEST_REDIS_URL, type TestDatabase } from '@fdt/testing';
import { loadPlatformConfig, type PlatformConfig } from '@fdt/server-core';
import { DataSource } from 'typeorm';
import { startApi, type RunningApi } from '../src/bootstrap.js';

export interface Harness {
  db: TestDatabase;
  api: RunningApi;
  config: PlatformConfig;
  ds: DataSource;
  client(): TestClient;
  /** Signs up a new org; returns a client signed in as its owner. */
  signup(email?: string): Promise<{ client: TestClient; orgId: string; userId: string; email: string }>;
  /** Adds a member with a role to the owner's org and returns a client signed in as them. */
  member(owner: TestClient, role: string): Promise<{ client: TestClient; userId: string; email: string }>;
  close(): Promise<void>;
}

let n = 0;
export const uniqueEmail = (tag = 'user') => `${tag}-${Date.now().toString(36)}-${n++}@example.test`;
export const PASSWORD = 'correct horse battery staple';

/** A real api on a fresh database with the machine's Redis (namespaced per test file). */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const config = loadPlatformConfig(
    testEnv(db.url, { REDIS_URL: TEST_REDIS_URL, FDT_PORTS_NAMESPACE: db.name, ...env }),
  );
  const api = await startApi(config);
  const ds = api.app.get(DataSource);
  const h: Harness = {
    db,
    api,
    config,
    ds,
    client: () => new TestClient(api.url),
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
    async member(owner, role) {
      const email = uniqueEmail(role);
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
    async close() {
      await api.app.close();
      await db.drop();
    },
  };
  return h;
}
