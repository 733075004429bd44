import { Injectable, inject } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { unwrap } from '../../core/problem';
import { Session } from '../../core/session';

/** `POST /api/v1/sso/discover`: does this email's domain sign in through an identity provider? */
@Injectable({ providedIn: 'root' })
export class SsoDiscovery {
  private readonly session = inject(Session);

  discover(email: string): Promise<Schemas['DiscoverResultDto']> {
    return unwrap(this.session.anon.POST('/api/v1/sso/discover', { body: { email } }));
  }
}
