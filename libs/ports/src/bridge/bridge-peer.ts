import type { ChildProcess } from 'node:child_process';
import { DEFAULT_TIMEOUT_MS } from '../constants.js';
import {
  PortClosedError,
  PortLimitError,
  PortTimeoutError,
  reportToConsole,
  type PortErrorReporter,
} from '../errors.js';

/**
 * One end of a message channel to another process: a forked child (`ChildProcess`) or, in that
 * child, its `process`. Both need `serialization: 'advanced'` on the fork so that messages are
 * structured clones (Buffers, Maps, Dates, undefined travel as themselves).
 */
export interface BridgeEndpoint {
  /** Throws at once when `message` cannot be cloned or the channel is closed. */
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the channel is gone (the other process exited or disconnected). */
  onClose(listener: () => void): void;
}

type IpcHolder = Pick<ChildProcess, 'send' | 'on' | 'connected'> | NodeJS.Process;

/** The IPC channel of a forked child (in the parent) or of this process to its parent (in the child). */
export function ipcEndpoint(holder: IpcHolder): BridgeEndpoint {
  const p = holder as NodeJS.Process;
  if (typeof p.send !== 'function')
    throw new Error('ipcEndpoint: this process has no IPC channel (fork it with an "ipc" stdio entry)');
  let closed = false;
  const closeListeners: (() => void)[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners.splice(0)) l();
  };
  p.on('disconnect', close);
  // A child that dies is also seen as 'exit' (its 'disconnect' may come first or not at all).
  if (p !== process) p.on('exit', close);
  return {
    send(message) {
      if (closed || !p.connected) throw new BridgeGoneError('the channel is closed');
      // Asynchronous failures (EPIPE as the peer dies) surface as 'disconnect'.
      p.send?.(message, undefined, undefined, () => undefined);
    },
    onMessage: (listener) => p.on('message', listener),
    onClose: (listener) => (closed ? queueMicrotask(listener) : closeListeners.push(listener)),
  };
}

/** The process at the other end of a bridge is gone (exited, killed or disconnected). */
export class BridgeGoneError extends Error {
  constructor(detail: string) {
    super(`the ports bridge to the other process is gone: ${detail}`);
    this.name = new.target.name;
  }
}

/** Makes a served instance of a port for one opening proxy; `options` are the proxy's (cloneable) options. */
export type BridgeFactory = (options: Record<string, unknown>) => object;

export interface ServeOptions {
  /** Turns a result or a callback argument into what travels (default: as is). */
  encode?: (value: unknown) => unknown;
}

export interface BridgePeerOptions {
  /** Budget of each call, from the call until its answer. Default 5 s (DEFAULT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Where failures that reach no caller are reported. Default console.error. */
  onError?: PortErrorReporter;
}

const TAG = 'fdt-ports';
const CB = '$fdtCallback';
const FN = '$fdtFunction';

type Wire =
  | { [TAG]: 1; t: 'hello' }
  | { [TAG]: 1; t: 'open'; inst: number; kind: string; options: Record<string, unknown> }
  | { [TAG]: 1; t: 'call'; id: number; inst: number; method: string; args: unknown[] }
  | { [TAG]: 1; t: 'fn'; id: number; inst: number; fn: number; args: unknown[] }
  | { [TAG]: 1; t: 'res'; id: number; ok: true; value: unknown }
  | { [TAG]: 1; t: 'res'; id: number; ok: false; error: { name: string; message: string } }
  | { [TAG]: 1; t: 'cb'; inst: number; cb: number; args: unknown[] };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** callbacks passed by this call: kept while the function it returned lives */
  callbacks: number[];
  inst: number;
}

/** What a proxy holds: the callbacks it handed over, by id. */
interface ClientInstance {
  callbacks: Map<number, (...args: unknown[]) => unknown>;
}

/** What this side serves for one proxy of the other side. */
interface ServedInstance {
  kind: string;
  target?: Record<string, unknown>;
  /** why it could not be made (answered to every call) */
  failed?: Error;
  fns: Map<number, (...args: unknown[]) => unknown>;
  encode: (value: unknown) => unknown;
}

/**
 * A small symmetric RPC over one channel between two processes. Either side serves port
 * implementations by kind (`serve`) and opens proxies of what the other side serves (`open`):
 * every proxy instance gets its own instance on the serving side, made by the factory from the
 * proxy's options, and closed with it. Calls are request/response messages with ids and a
 * timeout; a function passed as an argument becomes a callback (its calls come back as event
 * messages), and a function returned becomes a remote function. Callbacks of a call live until
 * the function it returned is called (an unsubscribe), or the instance closes.
 *
 * When the other process goes, every pending call rejects with `BridgeGoneError` and so does
 * every later one; what the other side had opened here is closed.
 */
export class BridgePeer {
  private readonly timeoutMs: number;
  private readonly onError: PortErrorReporter;
  private readonly factories = new Map<string, { make: BridgeFactory; encode: (v: unknown) => unknown }>();
  private readonly served = new Map<number, ServedInstance>();
  private readonly instances = new Map<number, ClientInstance>();
  private readonly pending = new Map<number, Pending>();
  private endpoint?: BridgeEndpoint;
  /** Messages held until the other side said hello (it may not listen yet). */
  private queue: Wire[] = [];
  private remoteReady = false;
  private gone?: BridgeGoneError;
  private nextId = 1;
  private nextInst = 1;
  private nextCallback = 1;
  private nextFn = 1;

  constructor(opts: BridgePeerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onError = opts.onError ?? reportToConsole;
  }

  /** Connects to the other side; until then (and until it answers) calls wait in order. */
  attach(endpoint: BridgeEndpoint): this {
    if (this.endpoint) throw new Error('BridgePeer: already attached');
    this.endpoint = endpoint;
    endpoint.onMessage((m) => {
      if (m && typeof m === 'object' && (m as { [TAG]?: number })[TAG] === 1) this.receive(m as Wire);
    });
    endpoint.onClose(() => this.lost('the other process exited'));
    this.post({ [TAG]: 1, t: 'hello' }, true);
    return this;
  }

  /** Serves `kind`: each proxy the other side opens gets `make(itsOptions)`. */
  serve(kind: string, make: BridgeFactory, opts: ServeOptions = {}): this {
    this.factories.set(kind, { make, encode: opts.encode ?? ((v) => v) });
    return this;
  }

  /** A handle on a new instance of `kind` on the other side, made from `options` (cloneable). */
  open(kind: string, options: Record<string, unknown> = {}): RemoteInstance {
    const inst = this.nextInst++;
    this.instances.set(inst, { callbacks: new Map() });
    this.post({ [TAG]: 1, t: 'open', inst, kind, options });
    return new RemoteInstance(this, inst, kind);
  }

  /** @internal */
  call(inst: number, label: string, method: string | { fn: number }, args: unknown[]): Promise<unknown> {
    if (this.gone) return Promise.reject(new BridgeGoneError(`${label} was not sent (${this.gone.message})`));
    const client = this.instances.get(inst);
    if (!client) return Promise.reject(new PortClosedError(label));
    const id = this.nextId++;
    const callbacks: number[] = [];
    const encoded = args.map((a) => {
      if (typeof a !== 'function') return a;
      const cb = this.nextCallback++;
      client.callbacks.set(cb, a as (...args: unknown[]) => unknown);
      callbacks.push(cb);
      return { [CB]: cb };
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.release(inst, callbacks);
        reject(new PortTimeoutError(`${label} over the ports bridge`, this.timeoutMs));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, callbacks, inst });
      const message: Wire =
        typeof method === 'string'
          ? { [TAG]: 1, t: 'call', id, inst, method, args: encoded }
          : { [TAG]: 1, t: 'fn', id, inst, fn: method.fn, args: encoded };
      try {
        this.post(message);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        this.release(inst, callbacks);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** @internal Forgets a closed proxy's callbacks (late events to it are dropped). */
  forget(inst: number): void {
    this.instances.delete(inst);
  }

  private post(message: Wire, always = false): void {
    if (this.gone) throw this.gone;
    if (!this.endpoint || (!this.remoteReady && !always)) {
      // Cloneability is checked now, so that the caller learns of it, not a later flush.
      if (message.t !== 'hello') structuredClone(message);
      this.queue.push(message);
      return;
    }
    this.endpoint.send(message);
  }

  private receive(m: Wire): void {
    switch (m.t) {
      case 'hello':
        if (this.remoteReady) return;
        this.remoteReady = true;
        // Ours may have gone out before the other side listened: say it again, then flush.
        this.post({ [TAG]: 1, t: 'hello' }, true);
        for (const q of this.queue.splice(0)) this.safeSend(q);
        return;
      case 'open':
        return this.openServed(m.inst, m.kind, m.options);
      case 'call':
      case 'fn':
        void this.answer(m);
        return;
      case 'res':
        return this.settle(m);
      case 'cb': {
        const fn = this.instances.get(m.inst)?.callbacks.get(m.cb);
        if (!fn) return;
        try {
          const r = fn(...m.args);
          if (r instanceof Promise) r.catch((e: unknown) => this.onError(e, 'ports bridge callback'));
        } catch (e) {
          this.onError(e, 'ports bridge callback');
        }
        return;
      }
    }
  }

  private safeSend(message: Wire): void {
    try {
      this.endpoint?.send(message);
    } catch (e) {
      if (message.t === 'call' || message.t === 'fn') {
        const p = this.pending.get(message.id);
        if (p) {
          clearTimeout(p.timer);
          this.pending.delete(message.id);
          p.reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
  }

  private openServed(inst: number, kind: string, options: Record<string, unknown>): void {
    const factory = this.factories.get(kind);
    const served: ServedInstance = { kind, fns: new Map(), encode: factory?.encode ?? ((v) => v) };
    this.served.set(inst, served);
    if (!factory) {
      served.failed = new Error(`the other process serves no "${kind}" over the ports bridge`);
      return;
    }
    try {
      served.target = factory.make(options) as Record<string, unknown>;
    } catch (e) {
      served.failed = e instanceof Error ? e : new Error(String(e));
    }
  }

  private async answer(m: Extract<Wire, { t: 'call' | 'fn' }>): Promise<void> {
    const served = this.served.get(m.inst);
    let reply: Wire;
    try {
      if (!served) throw new PortClosedError('the bridged port');
      if (served.failed) throw served.failed;
      const args = m.args.map((a) => {
        const cb = a && typeof a === 'object' ? (a as { [CB]?: number })[CB] : undefined;
        if (cb === undefined) return a;
        return (...cbArgs: unknown[]) => {
          // A callback of a proxy that is gone, or of a peer that is gone, is dropped.
          if (this.gone || !this.served.has(m.inst)) return;
          this.safeSend({ [TAG]: 1, t: 'cb', inst: m.inst, cb, args: cbArgs.map(served.encode) });
        };
      });
      let value: unknown;
      if (m.t === 'fn') {
        const fn = served.fns.get(m.fn);
        if (!fn) throw new PortClosedError('the bridged function');
        served.fns.delete(m.fn);
        value = await fn(...args);
      } else {
        const target = served.target as Record<string, unknown>;
        const method = target[m.method];
        if (typeof method !== 'function' || m.method.startsWith('_') || m.method === 'constructor') {
          throw new Error(`"${served.kind}" has no method ${m.method}`);
        }
        value = await (method as (...a: unknown[]) => unknown).apply(target, args);
        if (m.method === 'close') {
          this.served.delete(m.inst);
          served.fns.clear();
        }
      }
      if (typeof value === 'function') {
        const fn = this.nextFn++;
        served.fns.set(fn, value as (...a: unknown[]) => unknown);
        reply = { [TAG]: 1, t: 'res', id: m.id, ok: true, value: { [FN]: fn } };
      } else {
        reply = { [TAG]: 1, t: 'res', id: m.id, ok: true, value: served.encode(value) };
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      reply = {
        [TAG]: 1,
        t: 'res',
        id: m.id,
        ok: false,
        error: { name: error.name, message: error.message },
      };
    }
    if (this.gone) return;
    try {
      this.endpoint?.send(reply);
    } catch (e) {
      // An answer that cannot be cloned is a bug of the served port: the caller must hear of it.
      this.safeSend({
        [TAG]: 1,
        t: 'res',
        id: m.id,
        ok: false,
        error: { name: 'Error', message: `the answer could not be sent: ${(e as Error).message}` },
      });
    }
  }

  private settle(m: Extract<Wire, { t: 'res' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (!m.ok) {
      this.release(p.inst, p.callbacks);
      return p.reject(decodeError(m.error));
    }
    const fnId = m.value && typeof m.value === 'object' ? (m.value as { [FN]?: number })[FN] : undefined;
    if (fnId === undefined) {
      this.release(p.inst, p.callbacks);
      return p.resolve(m.value);
    }
    // A returned function (an unsubscribe): calling it releases this call's callbacks.
    const inst = p.inst;
    let done: Promise<void> | undefined;
    p.resolve(
      (...args: unknown[]) =>
        (done ??=
          // Its instance closed (or its peer gone): nothing is subscribed any more.
          this.gone || !this.instances.has(inst)
            ? Promise.resolve()
            : this.call(inst, 'unsubscribe', { fn: fnId }, args).then(
                () => this.release(inst, p.callbacks),
                (e: unknown) => {
                  if (!(e instanceof BridgeGoneError) && !(e instanceof PortClosedError)) throw e;
                },
              )),
    );
  }

  private release(inst: number, callbacks: number[]): void {
    const client = this.instances.get(inst);
    for (const cb of callbacks) client?.callbacks.delete(cb);
  }

  private lost(why: string): void {
    if (this.gone) return;
    this.gone = new BridgeGoneError(why);
    this.queue = [];
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(this.gone);
    }
    this.instances.clear();
    // What the other side opened here goes with it (subscriptions, followers).
    const served = [...this.served.values()];
    this.served.clear();
    for (const s of served) {
      const close = s.target?.close;
      if (typeof close === 'function') {
        Promise.resolve()
          .then(() => (close as () => unknown).call(s.target))
          .catch((e: unknown) => this.onError(e, `closing the bridged ${s.kind}`));
      }
    }
  }
}

/** A proxy's handle on its instance on the other side. */
export class RemoteInstance {
  private closing?: Promise<void>;

  constructor(
    private readonly peer: BridgePeer,
    private readonly inst: number,
    readonly kind: string,
  ) {}

  get closed(): boolean {
    return this.closing !== undefined;
  }

  call<T>(method: string, args: unknown[]): Promise<T> {
    if (this.closing) return Promise.reject(new PortClosedError(this.kind));
    return this.peer.call(this.inst, `${this.kind}.${method}`, method, args) as Promise<T>;
  }

  /** Closes the instance on the other side; a gone peer counts as closed. */
  close(): Promise<void> {
    return (this.closing ??= this.peer
      .call(this.inst, `${this.kind}.close`, 'close', [])
      .then(
        () => undefined,
        (e: unknown) => {
          if (!(e instanceof BridgeGoneError)) throw e;
        },
      )
      .finally(() => this.peer.forget(this.inst)));
  }
}

const KNOWN_ERRORS: Record<string, new (message: string) => Error> = {
  PortLimitError,
  TypeError,
  RangeError,
  SyntaxError,
};

function decodeError(e: { name: string; message: string }): Error {
  if (e.name === 'PortClosedError') {
    const err = new PortClosedError('x');
    err.message = e.message;
    return err;
  }
  if (e.name === 'PortTimeoutError') {
    const err = new PortTimeoutError('x', 0);
    err.message = e.message;
    return err;
  }
  if (e.name === 'BridgeGoneError') {
    const err = new BridgeGoneError('');
    err.message = e.message;
    return err;
  }
  const Known = KNOWN_ERRORS[e.name];
  if (Known) return new Known(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
