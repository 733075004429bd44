/** How the inspector shows a captured body: text (pretty JSON), an image, or a hex dump. */
export type BodyView =
  | { kind: 'empty' }
  | { kind: 'text'; text: string; language: 'json' | 'text' }
  | { kind: 'image'; src: string }
  | { kind: 'binary'; hex: string; shown: number };

const HEX_BYTES = 512;

export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function encodeBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** UTF-8 text, or undefined when the bytes are not (binary). */
export function asText(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Control characters other than whitespace mean binary even when they decode.
    return /[\x00-\x08\x0e-\x1f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

export function bodyView(b64: string, contentType: string | null): BodyView {
  if (!b64) return { kind: 'empty' };
  const bytes = decodeBase64(b64);
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (/^image\/(png|jpeg|gif|webp)$/.test(type)) return { kind: 'image', src: `data:${type};base64,${b64}` };
  const text = asText(bytes);
  if (text !== undefined) {
    if (type.includes('json') || /^\s*[[{]/.test(text)) {
      try {
        return { kind: 'text', text: JSON.stringify(JSON.parse(text), null, 2), language: 'json' };
      } catch {
        // Not JSON after all (or cut at 64 KiB): show it as it is.
      }
    }
    return { kind: 'text', text, language: 'text' };
  }
  return {
    kind: 'binary',
    hex: hexDump(bytes.subarray(0, HEX_BYTES)),
    shown: Math.min(HEX_BYTES, bytes.length),
  };
}

function hexDump(bytes: Uint8Array): string {
  const rows: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = [...bytes.subarray(i, i + 16)];
    const hex = chunk.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = chunk.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(`${i.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return rows.join('\n');
}
