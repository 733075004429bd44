/** Receives each message published on a channel after the subscription was confirmed. */
export type MessageHandler<T = unknown> = (message: T, channel: string) => void | Promise<void>;

/** Removes one handler; resolves once no further message reaches it. */
export type Unsubscribe = () => Promise<void>;

/**
 * Fire-and-forget broadcast between processes (relay ↔ api ↔ worker): at most once, to the
 * subscribers connected at the time, no history. Messages are JSON: both adapters serialise
 * them, so a subscriber never shares an object with the publisher.
 */
export interface PubSub {
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves once messages published from now on are delivered to `handler`. */
  subscribe<T = unknown>(channel: string, handler: MessageHandler<T>): Promise<Unsubscribe>;
  /** Drops every subscription of this instance. */
  close(): Promise<void>;
}

export interface PubSubOptions {
  /** Channels of one namespace never reach subscribers of another. Default `fdt`. */
  namespace?: string;
  maxMessageBytes?: number;
  maxSubscriptions?: number;
  /** Where a throwing handler or a connection error is reported. Default console.error. */
  onError?: (error: unknown, context: string) => void;
}
