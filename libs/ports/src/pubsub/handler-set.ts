import { DEFAULT_MAX_SUBSCRIPTIONS } from '../constants.js';
import { PortLimitError, type PortErrorReporter } from '../errors.js';
import type { MessageHandler } from './pubsub.port.js';

/** One adapter instance's handlers per channel, bounded, with error-isolated dispatch. */
export class HandlerSet {
  private readonly byChannel = new Map<string, Set<MessageHandler>>();
  private count = 0;

  constructor(
    private readonly onError: PortErrorReporter,
    private readonly max = DEFAULT_MAX_SUBSCRIPTIONS,
  ) {}

  add(channel: string, handler: MessageHandler): void {
    if (this.count >= this.max) throw new PortLimitError(`more than ${this.max} subscriptions on one PubSub`);
    let set = this.byChannel.get(channel);
    if (!set) this.byChannel.set(channel, (set = new Set()));
    // A wrapper per subscription: the same function subscribed twice is two subscriptions.
    set.add(handler);
    this.count += 1;
  }

  /** Returns true when the channel has no handler left. */
  remove(channel: string, handler: MessageHandler): boolean {
    const set = this.byChannel.get(channel);
    if (!set?.delete(handler)) return !set;
    this.count -= 1;
    if (set.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  clear(): void {
    this.byChannel.clear();
    this.count = 0;
  }

  /** Each handler gets its own parsed copy; one handler failing never starves the others. */
  dispatch(channel: string, json: string): void {
    const set = this.byChannel.get(channel);
    if (!set) return;
    for (const handler of [...set]) {
      // Re-check: an earlier handler may have unsubscribed this one.
      if (!set.has(handler)) continue;
      try {
        const result = handler(JSON.parse(json), channel);
        if (result instanceof Promise)
          result.catch((e: unknown) => this.onError(e, `pubsub handler on ${channel}`));
      } catch (e) {
        this.onError(e, `pubsub handler on ${channel}`);
      }
    }
  }
}
