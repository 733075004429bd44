import { computed, Injectable, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { type ApiClient, createApiClient, type Schemas } from '@fdt/api-client';
import { toApiError, unwrap } from './problem';

export type Me = Schemas['MeDto'];
type SessionResponse = Schemas['SessionResponseDto'];

/** Refresh this long before the access token expires. */
const REFRESH_EARLY_MS = 60_000;

/**
 * The signed-in session. The access token lives only in memory (never in storage); the
 * refresh token is an httpOnly cookie the api rotates on every refresh. A page load restores
 * the session from the cookie; a 401 from an expired access token refreshes once and retries.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly router = inject(Router);
  private token: string | null = null;
  private timer?: ReturnType<typeof setTimeout>;
  private refreshing?: Promise<boolean>;

  readonly me = signal<Me | null>(null);
  readonly state = signal<'unknown' | 'signed-in' | 'signed-out'>('unknown');
  readonly permissions = computed(() => new Set(this.me()?.permissions ?? []));

  /** Without credentials: sign-in, refresh, invitations. */
  readonly anon: ApiClient = createApiClient({ baseUrl: location.origin, fetch: (r) => fetch(r) });
  /** With the access token, refreshing it when it expires. */
  readonly api: ApiClient = createApiClient({ baseUrl: location.origin, fetch: (r) => this.authFetch(r) });

  private readonly ready = this.restore();

  whenReady(): Promise<void> {
    return this.ready;
  }

  can(permission: string): boolean {
    return this.permissions().has(permission);
  }

  /** Where a signed-in person starts: the first page their role can read. */
  home(): string {
    if (this.can('tunnels:read')) return '/dashboard';
    if (this.can('members:read')) return '/members';
    if (this.can('billing:read')) return '/billing';
    return '/tokens';
  }

  /** The bearer token for requests the typed client cannot make (streams, downloads). */
  async authorization(): Promise<string | null> {
    await this.ready;
    return this.token ? `Bearer ${this.token}` : null;
  }

  async signIn(email: string, password: string): Promise<void> {
    const s = await unwrap(this.anon.POST('/api/v1/auth/login', { body: { email, password } }));
    await this.start(s);
  }

  /** After SSO: the api set the refresh cookie and sent the browser back to us. */
  async completeExternalSignIn(): Promise<boolean> {
    return (await this.refresh()) && !!(await this.loadMe());
  }

  async signOut(): Promise<void> {
    try {
      await this.api.POST('/api/v1/auth/logout');
    } finally {
      this.clear();
      await this.router.navigateByUrl('/sign-in');
    }
  }

  /** The session ended under us (refresh refused): back to sign-in, then back here. */
  async expire(): Promise<void> {
    const wasSignedIn = this.state() === 'signed-in';
    this.clear();
    if (wasSignedIn) {
      const returnUrl = this.router.url.startsWith('/sign-in') ? undefined : this.router.url;
      await this.router.navigate(['/sign-in'], { queryParams: { reason: 'expired', returnUrl } });
    }
  }

  async loadMe(): Promise<Me | null> {
    try {
      const me = await unwrap(this.api.GET('/api/v1/me'));
      this.me.set(me);
      this.state.set('signed-in');
      return me;
    } catch {
      return null;
    }
  }

  private async restore(): Promise<void> {
    if (!(await this.refresh()) || !(await this.loadMe())) this.state.set('signed-out');
  }

  private async start(s: SessionResponse): Promise<void> {
    this.accept(s);
    if (!(await this.loadMe())) throw toApiError(undefined);
  }

  private accept(s: SessionResponse): void {
    this.token = s.accessToken;
    clearTimeout(this.timer);
    const inMs = Math.max(10_000, s.expiresIn * 1000 - REFRESH_EARLY_MS);
    this.timer = setTimeout(async () => {
      if (!(await this.refresh())) await this.expire();
    }, inMs);
  }

  /** One refresh at a time: concurrent 401s share it (a refresh token works only once). */
  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const { data, response } = await this.anon.POST('/api/v1/auth/refresh');
        if (!response.ok || !data) return false;
        this.accept(data);
        return true;
      } catch {
        return false;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** fetch with the access token and the refresh-once-on-401 rule (streams, downloads). */
  async authFetch(request: Request): Promise<Response> {
    const retry = request.clone();
    const res = await fetch(this.withToken(request));
    if (res.status !== 401 || !this.token) return res;
    // The access token expired (or the session ended): refresh once, then give up.
    if (await this.refresh()) return fetch(this.withToken(retry));
    await this.expire();
    return res;
  }

  private withToken(request: Request): Request {
    if (this.token) request.headers.set('Authorization', `Bearer ${this.token}`);
    return request;
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.token = null;
    this.me.set(null);
    this.state.set('signed-out');
  }
}
