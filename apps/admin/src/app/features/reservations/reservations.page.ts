import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  resource,
  signal,
  viewChild,
} from '@angular/core';
import { Announcer } from '../../core/announcer';
import { needs, P } from '../../core/permissions';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading, Reason } from '../../ui/states';

@Component({
  selector: 'fdt-reservations-page',
  imports: [Confirm, DateTimePipe, Empty, ErrorBanner, Loading, Reason],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './reservations.page.html',
})
export class ReservationsPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);

  protected readonly canManage = computed(() => this.session.can(P.ReservationsManage));
  protected readonly reason = computed(() => (this.canManage() ? null : needs(P.ReservationsManage)));
  protected readonly names = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/reserved-names')),
  });
  protected readonly addresses = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/reserved-addresses')),
  });

  protected readonly name = signal('');
  protected readonly tlsMode = signal<'terminate' | 'passthrough'>('terminate');
  protected readonly port = signal('');
  protected readonly nameError = signal<string | null>(null);
  protected readonly portError = signal<string | null>(null);
  protected readonly busy = signal<string | null>(null);

  protected async reserveName(): Promise<void> {
    this.nameError.set(null);
    const name = this.name().trim().toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
      this.nameError.set('Use 1-63 letters, digits and inner hyphens, e.g. my-app.');
      document.getElementById('res-name')?.focus();
      return;
    }
    this.busy.set('name');
    try {
      const r = await unwrap(
        this.session.api.POST('/api/v1/reserved-names', { body: { name, tlsMode: this.tlsMode() } }),
      );
      this.name.set('');
      this.names.reload();
      this.announcer.say(`${r.host} is reserved for your org.`);
    } catch (e) {
      this.nameError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async releaseName(id: string, host: string): Promise<void> {
    const ok = await this.confirm().ask({
      title: `Release ${host}?`,
      body: 'Another org could then reserve it. Tunnels using it keep running until they reconnect.',
      action: 'Release',
      danger: true,
    });
    if (!ok) return;
    try {
      await unwrap(this.session.api.DELETE('/api/v1/reserved-names/{id}', { params: { path: { id } } }));
      this.names.reload();
    } catch (e) {
      this.nameError.set(errorMessage(e));
    }
  }

  protected async reservePort(): Promise<void> {
    this.portError.set(null);
    const p = this.port().trim();
    if (p && !/^\d{1,5}$/.test(p)) {
      this.portError.set('A port is a number, or leave it empty for the next free one.');
      return;
    }
    this.busy.set('port');
    try {
      const r = await unwrap(
        this.session.api.POST('/api/v1/reserved-addresses', { body: p ? { port: Number(p) } : {} }),
      );
      this.port.set('');
      this.addresses.reload();
      this.announcer.say(`${r.address} is reserved for your org.`);
    } catch (e) {
      this.portError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async releasePort(id: string, address: string): Promise<void> {
    const ok = await this.confirm().ask({
      title: `Release ${address}?`,
      body: 'The port goes back to the pool.',
      action: 'Release',
      danger: true,
    });
    if (!ok) return;
    try {
      await unwrap(this.session.api.DELETE('/api/v1/reserved-addresses/{id}', { params: { path: { id } } }));
      this.addresses.reload();
    } catch (e) {
      this.portError.set(errorMessage(e));
    }
  }
}
