import type { Readable } from 'node:stream';

export class NdjsonError extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

/**
 * Parsed lines of an NDJSON body, each at most `maxLineBytes` and at most `maxLines` in all
 * (blank lines skipped). Written here rather than with an NDJSON package because the bounds
 * must hold before a line is buffered whole, which the common parsers (split2, ndjson) do
 * not promise; it is a dozen lines.
 */
export async function* ndjsonLines(
  body: Readable,
  bounds: { maxLineBytes: number; maxLines: () => number },
): AsyncGenerator<{ line: number; value: unknown }> {
  let rest = Buffer.alloc(0);
  let n = 0;
  const parse = (raw: Buffer) => {
    n += 1;
    if (n > bounds.maxLines()) throw new NdjsonError(`more than ${bounds.maxLines()} lines`, true);
    try {
      return { line: n, value: JSON.parse(raw.toString('utf8')) as unknown };
    } catch {
      throw new NdjsonError(`line ${n}: not JSON`);
    }
  };
  for await (const chunk of body) {
    rest = Buffer.concat([rest, chunk as Buffer]);
    let nl: number;
    while ((nl = rest.indexOf(10)) >= 0) {
      const raw = rest.subarray(0, nl);
      rest = rest.subarray(nl + 1);
      if (raw.length > bounds.maxLineBytes)
        throw new NdjsonError(`line ${n + 1}: longer than ${bounds.maxLineBytes} bytes`, true);
      if (raw.toString('utf8').trim()) yield parse(raw);
    }
    if (rest.length > bounds.maxLineBytes)
      throw new NdjsonError(`line ${n + 1}: longer than ${bounds.maxLineBytes} bytes`, true);
  }
  if (rest.toString('utf8').trim()) yield parse(rest);
}
