import { MIN_WIDTH, renderStatus } from './render.js';
import { applyEvent, initialStatus, type StatusState } from './state.js';

/** What the live view needs of a terminal: `process.stdout` fits. */
export interface Terminal {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export const ANSI = {
  home: '\x1b[H',
  clearLine: '\x1b[K',
  clearBelow: '\x1b[J',
  altScreenOn: '\x1b[?1049h',
  altScreenOff: '\x1b[?1049l',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
} as const;

/** Whether to draw the live view: a TTY, not `TERM=dumb`, at least MIN_WIDTH columns. */
export function liveViewSupported(
  term: Pick<Terminal, 'isTTY' | 'columns'>,
  termEnv: string | undefined,
): boolean {
  return Boolean(term.isTTY) && termEnv !== 'dumb' && (term.columns ?? 0) >= MIN_WIDTH;
}

export interface LiveViewOptions {
  /** least time between two redraws (default 100 ms: at most 10 per second) */
  intervalMs?: number;
  /** draw on the alternate screen, restored on stop (default true) */
  altScreen?: boolean;
  clock?: () => Date;
  /** polled on each redraw, e.g. `() => client.rttMs` */
  latency?: () => number | undefined;
  /** redraw at least this often, so polled latency stays fresh (default 1000 ms; 0: never) */
  refreshMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

/**
 * Draws the status screen in place: cursor home, each line followed by clear-to-end-of-line,
 * then clear-below; redraws are throttled. `stop()` restores the terminal (idempotent).
 */
export class LiveView {
  private state: StatusState = initialStatus();
  private timer: unknown;
  private refresh: NodeJS.Timeout | undefined;
  private lastDraw = -Infinity;
  private running = false;
  private readonly o: Required<Omit<LiveViewOptions, 'latency'>> & Pick<LiveViewOptions, 'latency'>;
  private readonly onResize = () => this.draw();

  constructor(
    private readonly term: Terminal,
    options: LiveViewOptions = {},
  ) {
    this.o = {
      intervalMs: options.intervalMs ?? 100,
      altScreen: options.altScreen ?? true,
      clock: options.clock ?? (() => new Date()),
      latency: options.latency,
      refreshMs: options.refreshMs ?? 1000,
      setTimer: options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref()),
      clearTimer: options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout)),
    };
  }

  get current(): StatusState {
    return this.state;
  }

  get active(): boolean {
    return this.running;
  }

  setLatencySource(fn: () => number | undefined): void {
    this.o.latency = fn;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.term.write((this.o.altScreen ? ANSI.altScreenOn : '') + ANSI.hideCursor);
    this.term.on?.('resize', this.onResize);
    if (this.o.refreshMs > 0) this.refresh = setInterval(() => this.draw(), this.o.refreshMs).unref();
    this.draw();
  }

  update(event: string, data: object = {}): void {
    this.state = applyEvent(this.state, event, data, this.o.clock());
    this.schedule();
  }

  /** Draws now (if running). */
  draw(): void {
    if (!this.running) return;
    if (this.timer !== undefined) {
      this.o.clearTimer(this.timer);
      this.timer = undefined;
    }
    const rtt = this.o.latency?.();
    if (rtt !== undefined) this.state = { ...this.state, latencyMs: rtt };
    const lines = renderStatus(this.state, { width: this.term.columns ?? 80, height: this.term.rows });
    this.term.write(ANSI.home + lines.map((l) => l + ANSI.clearLine).join('\r\n') + ANSI.clearBelow);
    this.lastDraw = this.o.clock().getTime();
  }

  /** Restores the terminal: cursor shown, alternate screen left. Safe to call twice. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== undefined) this.o.clearTimer(this.timer);
    this.timer = undefined;
    clearInterval(this.refresh);
    this.term.off?.('resize', this.onResize);
    this.term.write(ANSI.showCursor + (this.o.altScreen ? ANSI.altScreenOff : ''));
  }

  private schedule(): void {
    if (!this.running || this.timer !== undefined) return;
    const wait = this.lastDraw + this.o.intervalMs - this.o.clock().getTime();
    if (wait <= 0) return this.draw();
    this.timer = this.o.setTimer(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
  }
}
