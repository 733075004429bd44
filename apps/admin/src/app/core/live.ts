import { Injectable, inject, signal } from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Session } from './session';
import { openSse, type SseStatus } from './sse';

export type LiveSnapshot = Schemas['LiveSnapshotDto'];

/**
 * The org's tunnels and traffic, live: one server-sent event stream shared by every page that
 * shows them (dashboard, tunnel list), open while at least one of them is.
 */
@Injectable({ providedIn: 'root' })
export class LiveStore {
  private readonly session = inject(Session);
  private refs = 0;
  private stop?: () => void;

  readonly snapshot = signal<LiveSnapshot | null>(null);
  readonly status = signal<SseStatus>('closed');

  /** Opens (or shares) the stream; call the returned function when the page goes away. */
  connect(): () => void {
    if (this.refs++ === 0) {
      this.stop = openSse(
        this.session,
        '/api/v1/live/stream',
        (e) => {
          if (e.type === 'snapshot') this.snapshot.set(JSON.parse(e.data) as LiveSnapshot);
        },
        (s) => this.status.set(s),
      );
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.refs === 0) {
        this.stop?.();
        this.stop = undefined;
      }
    };
  }
}
