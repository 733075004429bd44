import { join } from 'node:path';
import { ROOT, type Proc, spawnNode, waitFor } from './stack.js';

export const CLI = join(ROOT, 'apps/cli/bin/run.js');

export interface CliRun extends Proc {
  events(): Record<string, unknown>[];
  waitEvent(event: string, ms?: number): Promise<Record<string, unknown>>;
}

/** Runs the built `fdt` binary with --log json and parses its output lines. */
export function fdt(args: string[], env: Record<string, string>): CliRun {
  const p = spawnNode(CLI, [...args, '--log', 'json'], env);
  const events = () =>
    p
      .output()
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    ...p,
    events,
    waitEvent: (event, ms = 15_000) =>
      waitFor(
        `fdt event ${event} (output: ${p.output().slice(-600)})`,
        async () => events().find((e) => e.event === event),
        ms,
      ),
  };
}
