import type { MessageEvent } from '@nestjs/common';
import { interval, map, merge, type Observable, takeUntil, timer } from 'rxjs';

/** A comment-like ping keeps idle proxies from cutting the stream. */
export const SSE_PING_MS = 15_000;
/**
 * Streams end after this long and the client reconnects: the guard checked the credentials
 * when the stream opened, and a role change or a revoked session must not outlive it long.
 */
export const SSE_MAX_LIFETIME_MS = 5 * 60_000;

export function withSseLifetime(source: Observable<MessageEvent>): Observable<MessageEvent> {
  return merge(
    source,
    interval(SSE_PING_MS).pipe(map((): MessageEvent => ({ type: 'ping', data: {} }))),
  ).pipe(takeUntil(timer(SSE_MAX_LIFETIME_MS)));
}
