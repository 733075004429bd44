import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Relay } from '../entities/index.js';

const logger = new Logger('RelayBoot');

/**
 * Locks a relay's row for the rest of the transaction, so that its heartbeats, event batches
 * and full sets apply one at a time (across api replicas too), and moves it to `bootId` when
 * that is a new process: every tunnel the previous process reported goes offline at once,
 * since a restarted relay holds none of them. Returns the row, or undefined for an unknown relay.
 */
export async function lockRelayAtBoot(
  m: EntityManager,
  relayName: string,
  bootId: string,
): Promise<Relay | undefined> {
  const relay = await m
    .getRepository(Relay)
    .createQueryBuilder('r')
    .setLock('pessimistic_write')
    .where('r.name = :relayName', { relayName })
    .getOne();
  if (!relay) return undefined;
  if (relay.bootId === bootId) return relay;
  // Sequence numbers of the old boot mean nothing to the new one: reset with the status.
  await m.query(
    `UPDATE tunnels SET status = 'offline', status_seq = 0
     WHERE relay_id = $1 AND (status = 'online' OR status_seq <> 0)`,
    [relay.id],
  );
  // Two processes under one FDT_RELAY_NAME would show up here on every heartbeat.
  if (relay.bootId !== null)
    logger.log(
      `relay ${relayName} restarted (boot ${bootId}): every tunnel of its previous process is offline now`,
    );
  await m.query(`UPDATE relays SET boot_id = $2, status_seq = 0, set_seq = 0 WHERE id = $1`, [
    relay.id,
    bootId,
  ]);
  relay.bootId = bootId;
  relay.statusSeq = 0;
  relay.setSeq = 0;
  return relay;
}
