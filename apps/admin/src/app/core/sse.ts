import type { Session } from './session';

export interface SseEvent {
  type: string;
  data: string;
  id?: string;
}

export type SseStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

const MAX_BACKOFF_MS = 15_000;

/**
 * Reads a server-sent event stream with fetch (EventSource cannot send the bearer token),
 * reconnecting when it ends (the api closes streams every few minutes) or fails, with
 * backoff. Returns a function that stops it.
 */
export function openSse(
  session: Session,
  path: string,
  onEvent: (e: SseEvent) => void,
  onStatus: (s: SseStatus) => void = () => undefined,
): () => void {
  const abort = new AbortController();
  let failures = 0;
  void (async () => {
    await session.whenReady();
    while (!abort.signal.aborted && session.state() === 'signed-in') {
      onStatus(failures ? 'reconnecting' : 'connecting');
      try {
        const res = await session.authFetch(
          new Request(new URL(path, location.origin), {
            headers: { Accept: 'text/event-stream' },
            signal: abort.signal,
            cache: 'no-store',
          }),
        );
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        onStatus('live');
        failures = 0;
        await readEvents(res.body, onEvent);
      } catch {
        if (abort.signal.aborted) break;
        failures++;
      }
      if (abort.signal.aborted) break;
      onStatus('reconnecting');
      const wait = failures ? Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures) : 250;
      await new Promise((r) => setTimeout(r, wait));
    }
    onStatus('closed');
  })();
  return () => abort.abort();
}

/** Calls `onEvent` for each event of a text/event-stream body until it ends. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: RegExpExecArray | null;
    while ((end = /\r?\n\r?\n/.exec(buffer))) {
      const block = buffer.slice(0, end.index);
      buffer = buffer.slice(end.index + end[0].length);
      const event = parse(block);
      if (event) onEvent(event);
    }
  }
}

function parse(block: string): SseEvent | undefined {
  let type = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length ? { type, data: data.join('\n'), id } : undefined;
}
