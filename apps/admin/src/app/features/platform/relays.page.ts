import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { errorMessage, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { RelativePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading } from '../../ui/states';

type Relay = Schemas['RelayDto'];

/** For platform operators (FDT_PLATFORM_OPERATORS): every relay, grouped by region. */
@Component({
  selector: 'fdt-relays-page',
  imports: [RelativePipe, Empty, ErrorBanner, Loading],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './relays.page.html',
  styles: `
    .weight {
      width: 6rem;
    }
    .meter {
      width: 8rem;
    }
  `,
})
export class RelaysPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  protected readonly relays = resource({ loader: () => unwrap(this.session.api.GET('/api/v1/relays')) });
  protected readonly error = signal<string | null>(null);
  protected readonly regions = computed(() => {
    const by = new Map<string, Relay[]>();
    for (const r of this.relays.value()?.items ?? []) by.set(r.region, [...(by.get(r.region) ?? []), r]);
    return [...by.entries()].map(([region, relays]) => {
      const live = relays.filter((r) => r.status === 'live');
      return {
        region,
        relays,
        live: live.length,
        capacity: live.reduce((s, r) => s + r.capacity, 0),
        load: live.reduce((s, r) => s + r.load, 0),
      };
    });
  });

  protected async setWeight(r: Relay, input: HTMLInputElement): Promise<void> {
    this.error.set(null);
    const weight = Number(input.value);
    if (!Number.isInteger(weight) || weight < 0 || weight > 1000) {
      this.error.set('The weight is a whole number from 0 (drain) to 1000.');
      input.value = String(r.weight);
      return;
    }
    try {
      await unwrap(
        this.session.api.PATCH('/api/v1/relays/{id}', { params: { path: { id: r.id } }, body: { weight } }),
      );
      this.relays.reload();
      this.announcer.say(
        weight === 0 ? `${r.name} drains: it gets no new agents.` : `${r.name} weight set to ${weight}.`,
      );
    } catch (e) {
      input.value = String(r.weight);
      this.error.set(errorMessage(e));
    }
  }
}
