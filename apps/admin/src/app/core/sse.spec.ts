import { describe, expect, it } from '@jest/globals';
import { readEvents, type SseEvent } from './sse';

const stream = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
      c.close();
    },
  });

describe('reading server-sent events', () => {
  it('parses events split across chunks, with ids, comments and multi-line data', async () => {
    const got: SseEvent[] = [];
    await readEvents(
      stream(
        ': hello\n\nevent: snap',
        'shot\nid: 7\ndata: {"a":\ndata: 1}\n\n',
        'data: plain\r\n\r\nevent: ping\ndata: {}\n\n',
      ),
      (e) => got.push(e),
    );
    expect(got).toEqual([
      { type: 'snapshot', id: '7', data: '{"a":\n1}' },
      { type: 'message', id: undefined, data: 'plain' },
      { type: 'ping', id: undefined, data: '{}' },
    ]);
  });

  it('decodes UTF-8 split inside a character', async () => {
    const bytes = new TextEncoder().encode('data: héllo\n\n');
    const got: SseEvent[] = [];
    await readEvents(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bytes.subarray(0, 8));
          c.enqueue(bytes.subarray(8));
          c.close();
        },
      }),
      (e) => got.push(e),
    );
    expect(got[0].data).toBe('héllo');
  });
});
