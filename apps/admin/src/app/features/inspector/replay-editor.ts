import {
  ChangeDetectionStrategy,
  Component,
  computed,
  input,
  type OnInit,
  output,
  signal,
} from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { asText, decodeBase64, encodeBase64 } from './body';

export interface ReplayEdits {
  method?: string;
  path?: string;
  headers?: { name: string; value: string }[];
  body?: string;
}

// What the relay sets itself; shown greyed in the header list, not editable.
const MANAGED = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

@Component({
  selector: 'fdt-replay-editor',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './replay-editor.html',
})
export class ReplayEditor implements OnInit {
  readonly record = input.required<Schemas['InspectedRequestDto']>();
  readonly busy = input(false);
  readonly send = output<ReplayEdits>();
  readonly cancel = output<void>();

  protected readonly method = signal('');
  protected readonly path = signal('');
  protected readonly headers = signal('');
  protected readonly body = signal('');
  protected readonly bodyMode = signal<'text' | 'base64'>('text');
  protected readonly error = signal<string | null>(null);
  protected readonly truncated = computed(() => this.record().requestBodyTruncated);

  private originalHeaders = '';
  private originalBody = '';

  ngOnInit(): void {
    const r = this.record();
    this.method.set(r.method);
    this.path.set(r.path);
    this.originalHeaders = r.requestHeaders
      .filter((h) => !MANAGED.has(h.name.toLowerCase()))
      .map((h) => `${h.name}: ${h.value}`)
      .join('\n');
    this.headers.set(this.originalHeaders);
    const text = asText(decodeBase64(r.requestBody));
    this.bodyMode.set(text === undefined ? 'base64' : 'text');
    this.originalBody = text ?? r.requestBody;
    this.body.set(this.originalBody);
  }

  protected submit(): void {
    this.error.set(null);
    const r = this.record();
    const edits: ReplayEdits = {};
    const method = this.method().trim().toUpperCase();
    if (!/^[A-Z]{1,16}$/.test(method)) return this.error.set('The method is a word such as GET or POST.');
    if (method !== r.method) edits.method = method;
    const path = this.path().trim();
    if (!path.startsWith('/') || /\s/.test(path))
      return this.error.set('The path starts with / and has no spaces.');
    if (path !== r.path) edits.path = path;
    if (this.headers() !== this.originalHeaders) {
      const parsed: { name: string; value: string }[] = [];
      for (const [i, line] of this.headers().split('\n').entries()) {
        if (!line.trim()) continue;
        const colon = line.indexOf(':');
        const name = colon > 0 ? line.slice(0, colon).trim() : '';
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
          return this.error.set(`Header line ${i + 1} should read "Name: value".`);
        }
        parsed.push({ name, value: line.slice(colon + 1).trim() });
      }
      edits.headers = parsed;
    }
    if (this.body() !== this.originalBody || this.truncated()) {
      if (this.bodyMode() === 'base64') {
        const b64 = this.body().replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return this.error.set('The body is not valid base64.');
        edits.body = b64;
      } else {
        edits.body = encodeBase64(new TextEncoder().encode(this.body()));
      }
    }
    this.send.emit(edits);
  }
}
