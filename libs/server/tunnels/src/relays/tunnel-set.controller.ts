import {
  BadRequestException,
  ConflictException,
  Controller,
  HttpCode,
  HttpException,
  HttpStatus,
  Post,
  Req,
  UnsupportedMediaTypeException,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Request } from 'express';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public, RelaySecretGuard } from '@fdt/server-core';
import { TUNNEL_SET_CONTENT_TYPE, type TunnelSetEntry, type TunnelSetHeader } from '@fdt/protocol';
import { Relay } from '../entities/index.js';
import { TunnelTruthService } from '../tunnels/tunnel-truth.service.js';
import { TunnelSetEntryDto, TunnelSetHeaderDto } from '../tunnels.dto.js';
import { NdjsonError, ndjsonLines } from './ndjson-lines.js';

const MAX_LINE_BYTES = 2048;

/**
 * A relay's complete set of live tunnels (RELAY_TUNNEL_SET_PATH), sent when a heartbeat ack
 * asked for it. NDJSON read here with its own bounds: the set is sized by the relay's capacity,
 * far beyond the JSON body limit meant for user requests (the JSON parser skips this type).
 */
// Relay-only: not in the OpenAPI document.
@ApiExcludeController()
@Controller('api/v1/relays')
export class TunnelSetController {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly truth: TunnelTruthService,
  ) {}

  @Public()
  @UseGuards(RelaySecretGuard)
  @Post('tunnel-set')
  @HttpCode(204)
  async tunnelSet(@Req() req: Request): Promise<void> {
    if (!req.is(TUNNEL_SET_CONTENT_TYPE))
      throw new UnsupportedMediaTypeException(`send the tunnel set as ${TUNNEL_SET_CONTENT_TYPE}`);
    let header: TunnelSetHeader | undefined;
    let max = 0;
    const entries: TunnelSetEntry[] = [];
    try {
      for await (const { line, value } of ndjsonLines(req, {
        maxLineBytes: MAX_LINE_BYTES,
        maxLines: () => max + 1,
      })) {
        if (!header) {
          header = valid(TunnelSetHeaderDto, value, line);
          const relay = await this.ds.getRepository(Relay).findOneBy({ name: header.relayName });
          if (!relay) throw new ConflictException(`relay ${header.relayName} has not heartbeated yet`);
          max = await this.truth.maxEntries(relay.capacity);
          if (header.count > max)
            throw new HttpException(
              `${header.count} tunnels exceed what relay ${header.relayName} may hold (${max})`,
              HttpStatus.PAYLOAD_TOO_LARGE,
            );
          continue;
        }
        const e = valid(TunnelSetEntryDto, value, line);
        entries.push({
          orgId: e.orgId,
          authtokenId: e.authtokenId,
          name: e.name,
          proto: e.proto,
          url: e.url,
        });
      }
    } catch (e) {
      if (!(e instanceof NdjsonError)) throw e;
      throw e.tooLarge
        ? new HttpException(`tunnel set too large: ${e.message}`, HttpStatus.PAYLOAD_TOO_LARGE)
        : new BadRequestException(`malformed tunnel set: ${e.message}`);
    }
    if (!header) throw new BadRequestException('malformed tunnel set: no header line');
    if (entries.length !== header.count)
      throw new BadRequestException(
        `malformed tunnel set: header says ${header.count} tunnels, body has ${entries.length} (truncated?)`,
      );
    const outcome = await this.truth.applySet(header, entries);
    if (outcome !== 'applied')
      throw new ConflictException(
        outcome === 'stale-boot'
          ? `boot ${header.bootId} is not relay ${header.relayName}'s current one: heartbeat first`
          : `relay ${header.relayName} has not heartbeated yet`,
      );
  }
}

function valid<T extends object>(cls: new () => T, value: unknown, line: number): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadRequestException(`malformed tunnel set: line ${line}: expected an object`);
  const obj = plainToInstance(cls, value);
  const errors = validateSync(obj, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) {
    const why = errors
      .flatMap((e) => Object.values(e.constraints ?? {}))
      .slice(0, 3)
      .join('; ');
    throw new BadRequestException(`malformed tunnel set: line ${line}: ${why}`);
  }
  return obj;
}
