import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  type TunnelSetEntry,
  type TunnelSetHeader,
  type TunnelSetSummary,
  tunnelKey,
  tunnelSetDigest,
} from '@fdt/protocol';

/** Where the live tunnels come from (the agents' side of the relay attaches itself). */
export interface LiveTunnelSource {
  /** Tunnels serving visitors now. */
  entries(): TunnelSetEntry[];
  /** Every status event produced so far has reached the api (or was given up on). */
  settled(): boolean;
}

/**
 * This relay process's identity toward the api's tunnel rows: a boot id drawn at start (the
 * api drops every tunnel of a previous boot), the sequence numbers of status events, and the
 * summary and full set of live tunnels that heartbeats carry. The summary and a full set are
 * taken synchronously with the sequence number, so each is exact as of that event.
 */
@Injectable()
export class RelayBoot {
  readonly id = randomUUID();
  private last = 0;
  private source?: LiveTunnelSource;

  attach(source: LiveTunnelSource): void {
    this.source = source;
  }

  /** The next status event's sequence number. */
  nextSeq(): number {
    return ++this.last;
  }

  /** Undefined until the agents' side attached: an empty summary would take every tunnel offline. */
  summary(): TunnelSetSummary | undefined {
    if (!this.source) return undefined;
    const keys = new Set(this.source.entries().map(tunnelKey));
    const settled = this.source.settled();
    return {
      bootId: this.id,
      seq: this.last,
      count: keys.size,
      // While events are in flight the api's rows lag behind: comparing would ask for a set for nothing.
      ...(settled ? { digest: tunnelSetDigest(keys) } : {}),
    };
  }

  fullSet(relayName: string): { header: TunnelSetHeader; entries: TunnelSetEntry[] } {
    const byKey = new Map((this.source?.entries() ?? []).map((e) => [tunnelKey(e), e]));
    const entries = [...byKey.values()];
    return { header: { relayName, bootId: this.id, seq: this.last, count: entries.length }, entries };
  }
}
