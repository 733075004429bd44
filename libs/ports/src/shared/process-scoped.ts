// The single-node adapters keep their state per process, not per instance: `npm start` runs
// api, relay and worker as separate Nest apps in ONE process, and they must see one another's
// messages, routes and counters exactly as they would through a shared Redis. The state hangs
// off globalThis under Symbol.for so that two copies of this module (src and dist, say) still
// share it.
const ROOT = Symbol.for('@fdt/ports.process-scoped');

interface Slot {
  value: unknown;
  refs: number;
  dispose: () => void;
}

function slots(): Map<string, Slot> {
  const g = globalThis as { [ROOT]?: Map<string, Slot> };
  g[ROOT] ??= new Map();
  return g[ROOT];
}

/**
 * The process-wide value of `kind` for `namespace`, created on first use. Each acquire must
 * be paired with one release; the last release disposes of it (timers stop, memory goes).
 */
export function acquireProcessScoped<T>(
  kind: string,
  namespace: string,
  create: () => T,
  dispose: (value: T) => void,
): { value: T; release: () => void } {
  const id = `${kind}\u0000${namespace}`;
  const all = slots();
  let slot = all.get(id);
  if (!slot) {
    const value = create();
    slot = { value, refs: 0, dispose: () => dispose(value) };
    all.set(id, slot);
  }
  slot.refs += 1;
  const held = slot;
  let released = false;
  return {
    value: held.value as T,
    release: () => {
      if (released) return;
      released = true;
      held.refs -= 1;
      if (held.refs === 0 && all.get(id) === held) {
        all.delete(id);
        held.dispose();
      }
    },
  };
}
