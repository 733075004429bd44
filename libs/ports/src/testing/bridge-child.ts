// Test support: a real child process that serves the single-node adapters over the bridge,
// run from the built dist (`tsc -b libs/ports`), as `npm start`'s relay child runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BridgePeer, ipcEndpoint, type BridgePeerOptions } from '../bridge/bridge-peer.js';
import type { BridgedPort } from '../bridge/bridge-ports.js';

const DIST = join(import.meta.dirname, '../../dist/index.js');

export interface BridgeChild {
  /** The peer of the child, started on first use. */
  peer(): BridgePeer;
  child(): ChildProcess | undefined;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A child serving `kinds` (and `test`: echo, wait, fail) to this process. The child exits when
 * this process goes (its IPC channel closes), as the relay child of `npm start` does.
 */
export function bridgeChild(kinds: readonly BridgedPort[], opts: BridgePeerOptions = {}): BridgeChild {
  let proc: ChildProcess | undefined;
  let peer: BridgePeer | undefined;
  let exited: Promise<void> | undefined;
  return {
    peer() {
      if (peer) return peer;
      if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build it first (tsc -b libs/ports)`);
      const code = `
        import { BridgePeer, ipcEndpoint, servePorts, PortLimitError } from ${JSON.stringify(DIST)};
        const peer = new BridgePeer();
        servePorts(peer, ${JSON.stringify(kinds)});
        peer.serve('test', () => ({
          echo: (...args) => args,
          wait: (ms) => new Promise((r) => setTimeout(() => r(ms), ms)),
          fail: (message) => { throw new PortLimitError(message); },
          pid: () => process.pid,
          close: () => undefined,
        }));
        peer.attach(ipcEndpoint(process));
        process.on('disconnect', () => process.exit(0));
      `;
      proc = spawn(process.execPath, ['--input-type=module', '-e', code], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      const p = proc;
      exited = new Promise((r) => p.once('exit', () => r()));
      peer = new BridgePeer(opts).attach(ipcEndpoint(proc));
      return peer;
    },
    child: () => proc,
    async stop(signal = 'SIGTERM') {
      if (!proc) return;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
