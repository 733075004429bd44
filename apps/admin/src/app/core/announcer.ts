import { Injectable, signal } from '@angular/core';

/** Tells screen-reader users what changed (saved, revoked, came online) through a live region. */
@Injectable({ providedIn: 'root' })
export class Announcer {
  readonly message = signal('');

  say(message: string): void {
    // A new string each time, so the same message is announced twice in a row.
    this.message.set('');
    setTimeout(() => this.message.set(message), 50);
  }
}
