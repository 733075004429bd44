import type { StatusState } from './state.js';

export interface RenderOptions {
  /** terminal columns; every line is at most this wide */
  width: number;
  /** terminal rows; when given, the output is cut to fit (requests go first) */
  height?: number;
}

/** The narrowest terminal the live view draws on; below this the CLI prints plain lines. */
export const MIN_WIDTH = 60;

/** Cuts `s` to `width` columns, marking the cut with `…`. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  return width === 1 ? '…' : `${s.slice(0, width - 1)}…`;
}

const STATUS_TEXT: Record<StatusState['status'], string> = {
  connecting: 'connecting',
  online: 'online',
  reconnecting: 'reconnecting',
  stopped: 'stopped',
};

/**
 * The status screen for `state`, one string per line, none wider than `width` (ASCII-width:
 * URLs, paths and methods are counted per UTF-16 unit). Pure: same state, same lines.
 */
export function renderStatus(state: StatusState, opts: RenderOptions): string[] {
  const width = Math.max(1, Math.floor(opts.width));
  const labelWidth = width >= 80 ? 30 : 16;
  const row = (label: string, value: string) => `${label.padEnd(labelWidth)}${value}`;

  const head: string[] = [];
  const title = 'fdt';
  const quit = '(Ctrl+C to quit)';
  head.push(width >= title.length + quit.length + 1 ? title + quit.padStart(width - title.length) : title);
  head.push('');
  head.push(row('Session Status', STATUS_TEXT[state.status]));
  if (state.account) head.push(row('Account', state.account));
  if (state.region) head.push(row('Region', state.region));
  head.push(row('Latency', state.latencyMs === undefined ? '-' : `${formatMs(state.latencyMs)}`));
  if (state.relay) head.push(row('Relay', state.relay));
  if (state.inspector) head.push(row('Web Interface', state.inspector));
  if (state.forwarding.length === 0) head.push(row('Forwarding', '-'));
  state.forwarding.forEach((f, i) => head.push(row(i ? '' : 'Forwarding', `${f.url} -> ${f.addr}`)));
  if (state.notice) head.push(row('Last event', state.notice));
  head.push('');
  head.push(row('Connections', `${'total'.padEnd(8)}open`));
  head.push(
    row(
      '',
      `${String(state.connections.total).padEnd(8)}${state.connections.open === undefined ? '-' : String(state.connections.open)}`,
    ),
  );
  head.push('');

  const reqs: string[] = ['HTTP Requests', '-------------'];
  for (const r of state.requests) reqs.push(requestLine(r, width));

  let lines = [...head, ...reqs];
  if (opts.height !== undefined && lines.length > opts.height)
    lines = lines.slice(0, Math.max(0, opts.height));
  return lines.map((l) => truncate(l, width));
}

function requestLine(r: StatusState['requests'][number], width: number): string {
  // time(8) 2 method(7) 1 path(flex) 1 status(3) 2 duration(right, 8)
  const left = `${r.time}  ${r.method.padEnd(7)} `;
  const right = ` ${String(r.status).padStart(3)}  ${formatMs(r.durationMs).padStart(8)}`;
  const pathWidth = Math.max(1, width - left.length - right.length);
  return left + truncate(r.path, pathWidth).padEnd(pathWidth) + right;
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
