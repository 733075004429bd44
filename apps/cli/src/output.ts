import type { Failure } from './errors.js';
import { LiveView, liveViewSupported } from './status-view/index.js';

export type LogFormat = 'json' | 'text';

export interface Sink {
  out(line: string): void;
  err(line: string): void;
}

// Lines for stdout are gathered for one event-loop iteration and written together: under
// load the agent logs a line per request, and a write per line was a syscall per request
// (a tenth of the CLI's CPU with --log json). Flushed on exit, so nothing is lost.
let pending: string[] = [];
let scheduled = false;
function flushStdout(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending = [];
  process.stdout.write(text);
}
process.on('exit', flushStdout);

export const processSink: Sink = {
  out: (l) => {
    pending.push(l);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushStdout);
    }
  },
  err: (l) => {
    flushStdout(); // what was printed before stays before
    process.stderr.write(`${l}\n`);
  },
};

/** One JSON object per line: `event` and `time` first, then the event's fields. */
export function jsonLine(event: string, data: object = {}, now = new Date()): string {
  return JSON.stringify({ event, time: now.toISOString(), ...data });
}

type Data = Record<string, unknown>;

/**
 * Where text output goes: `auto` draws the live status view when printing to a capable terminal
 * (a TTY of at least 60 columns, not `TERM=dumb`), else plain appended lines; or a given view.
 */
export type ViewChoice = 'auto' | 'plain' | LiveView;

/**
 * Prints the agent's events: JSON lines for machines; on a terminal, a live status view
 * (see status-view/), or a short human log where the view cannot be drawn.
 */
export class Reporter {
  private readonly view: LiveView | undefined;

  constructor(
    readonly format: LogFormat,
    private readonly sink: Sink = processSink,
    private readonly clock: () => Date = () => new Date(),
    view: ViewChoice = 'auto',
  ) {
    if (format !== 'text' || view === 'plain') return;
    if (view !== 'auto') this.view = view;
    else if (sink === processSink && liveViewSupported(process.stdout, process.env.TERM))
      this.view = new LiveView(process.stdout, { clock });
  }

  /** Whether events are drawn on the live status view (rather than printed as lines). */
  get live(): boolean {
    return this.view !== undefined;
  }

  /** Shows the relay round trip in the status view, e.g. `reporter.latencyFrom(() => client.rttMs)`. */
  latencyFrom(fn: () => number | undefined): void {
    this.view?.setLatencySource(fn);
  }

  event(event: string, data: object = {}): void {
    if (this.format === 'json') return this.sink.out(jsonLine(event, data, this.clock()));
    if (this.view) return this.draw(event, data);
    this.text(event, data as Data);
  }

  /** Restores the terminal if the live view is drawn (also done on process exit). */
  close(): void {
    this.view?.stop();
  }

  private draw(event: string, data: object): void {
    const view = this.view as LiveView;
    if (!view.active && event !== 'stopped') {
      view.start();
      process.once('exit', () => view.stop());
    }
    view.update(event, data);
    if (event === 'stopped') {
      view.stop();
      this.sink.err('Stopped.');
    }
  }

  failure(f: Failure, stack?: string): void {
    this.close();
    if (this.format === 'json')
      this.sink.out(
        jsonLine(
          'error',
          { code: f.code, message: f.message, exitCode: f.exitCode, ...(f.hint ? { hint: f.hint } : {}) },
          this.clock(),
        ),
      );
    this.sink.err(`Error: ${f.message}`);
    if (f.hint) this.sink.err(`Try this: ${f.hint}`);
    if (stack) this.sink.err(stack);
  }

  private text(event: string, d: Data): void {
    const t = this.clock().toTimeString().slice(0, 8);
    switch (event) {
      case 'session_started':
        return this.sink.out(
          `Session    online (relay ${String(d.relay)}${d.region ? `, region ${String(d.region)}` : ''})`,
        );
      case 'tunnel_online': {
        const urls = Array.isArray(d.urls) && d.urls.length ? (d.urls as string[]) : [String(d.url)];
        urls.forEach((u, i) => this.sink.out(`${i ? '          ' : 'Forwarding'} ${u} -> ${String(d.addr)}`));
        return this.sink.out('');
      }
      case 'inspector_online':
        return this.sink.out(`Inspector  ${String(d.url)}`);
      case 'request':
        return this.sink.out(
          `${t}  ${String(d.method).padEnd(7)} ${String(d.status)}  ${String(d.path)}  ${String(d.durationMs)} ms`,
        );
      case 'connection':
        return this.sink.out(`${t}  ${String(d.kind)} connection from ${String(d.remoteAddr ?? 'unknown')}`);
      case 'reconnecting':
        return this.sink.err(
          `${t}  Reconnecting (attempt ${String(d.attempt)}, in ${String(d.delayMs)} ms): ${String(d.reason)}`,
        );
      case 'reconnected':
        return this.sink.err(`${t}  Reconnected after ${(Number(d.downtimeMs) / 1000).toFixed(1)} s`);
      case 'warning':
        return this.sink.err(`Warning: ${String(d.message)}`);
      case 'stopped':
        return this.sink.err('Stopped.');
    }
  }
}
