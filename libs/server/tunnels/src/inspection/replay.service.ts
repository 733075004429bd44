import http from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@fdt/audit';
import { INSPECTION_BODY_BYTES } from '@fdt/ports';
import { connectionTokens, HOP_BY_HOP_HEADERS } from '@fdt/protocol';
import {
  type Actor,
  CommonErrorCode,
  DomainException,
  PLATFORM_CONFIG,
  type PlatformConfig,
} from '@fdt/server-core';
import { TunnelDetailService } from '../tunnels/tunnel-detail.service.js';
import { TunnelsErrorCode, TunnelsException } from '../tunnels.errors.js';
import { InspectionService } from './inspection.service.js';

export interface ReplayEdits {
  method?: string;
  path?: string;
  headers?: { name: string; value: string }[];
  body?: string;
}

export interface ReplayResult {
  status: number;
  durationMs: number;
  error?: string;
  edited: boolean;
}

// Besides hop-by-hop fields: what the relay sets itself (Host from the record, forwarding
// headers from the connection) and what must match the body we send.
const DROPPED = new Set([...HOP_BY_HOP_HEADERS, 'host', 'content-length', 'expect', 'forwarded']);
const dropped = (name: string, listed: Set<string>) =>
  DROPPED.has(name) || listed.has(name) || name.startsWith('x-forwarded-');

/**
 * Re-sends a recorded request through the tunnel's public entry, the relay's HTTP ingress
 * with the recorded Host, exactly as a visitor would, so that edge policy, the agent and the
 * local service all see it (and the inspector records it like any other request).
 */
@Injectable()
export class ReplayService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly inspection: InspectionService,
    private readonly tunnels: TunnelDetailService,
    private readonly audit: AuditService,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async replay(actor: Actor, tunnel: string, id: string, edits: ReplayEdits): Promise<ReplayResult> {
    const name = this.inspection.name(tunnel);
    const rec = await this.inspection.get(actor.orgId, name, id);
    const edited =
      edits.method !== undefined ||
      edits.path !== undefined ||
      edits.headers !== undefined ||
      edits.body !== undefined;
    if (rec.requestBodyTruncated && edits.body === undefined) {
      throw new TunnelsException(
        TunnelsErrorCode.ReplayBodyTruncated,
        'The recorded body was cut at 64 KiB, so replaying it would send a different request. Edit the body to replay it.',
      );
    }
    const body = Buffer.from(edits.body ?? rec.requestBody, 'base64');
    if (body.length > INSPECTION_BODY_BYTES) {
      throw new DomainException(
        CommonErrorCode.ValidationFailed,
        400,
        `A replayed body can be at most ${INSPECTION_BODY_BYTES} bytes.`,
      );
    }
    const target = await this.tunnels.onlineHttp(actor.orgId, name);
    if (!target) {
      throw new TunnelsException(
        TunnelsErrorCode.TunnelOffline,
        `The tunnel "${name}" is offline: start its agent again, then replay.`,
      );
    }
    const pairs = edits.headers?.map((h) => [h.name, h.value] as const) ?? rec.requestHeaders;
    const listed = connectionTokens(
      pairs.filter(([k]) => k.toLowerCase() === 'connection').map(([, v]) => v),
    );
    const repeated: Record<string, string[]> = {};
    for (const [k, v] of pairs) {
      const key = k.toLowerCase();
      if (!dropped(key, listed)) (repeated[key] ??= []).push(v);
    }
    // Node sends an array as repeated fields; Host and Content-Length must be single strings.
    const headers: Record<string, string | string[]> = { ...repeated, host: rec.host };
    if (body.length || !['GET', 'HEAD'].includes(edits.method ?? rec.method)) {
      headers['content-length'] = String(body.length);
    }
    const method = edits.method ?? rec.method;
    const path = edits.path ?? rec.path;
    const { relay } = target;
    const started = performance.now();
    const { status, error } = await this.send(relay.publicHost, relay.httpPort, method, path, headers, body);
    const result: ReplayResult = {
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(error ? { error } : {}),
      edited,
    };
    await this.ds.transaction((m) =>
      this.audit.record(m, {
        orgId: actor.orgId,
        actor,
        action: 'tunnel.request_replayed',
        target: { type: 'tunnel', id: name },
        summary: { request: rec.id, method, path, edited, status },
      }),
    );
    return result;
  }

  private send(
    host: string,
    port: number,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body: Buffer,
  ): Promise<{ status: number; error?: string }> {
    const timeoutMs = this.config.relay.upstreamTimeoutSeconds * 1000 + 5000;
    return new Promise((resolve, reject) => {
      const fail = (e: Error) =>
        reject(
          new TunnelsException(
            TunnelsErrorCode.ReplayFailed,
            `Could not replay through the relay at ${host}:${port}: ${e.message}`,
          ),
        );
      const req = http.request(
        { host, port, method, path, headers, agent: false, timeout: timeoutMs },
        (res) => {
          const code = res.headers['fdt-error-code'];
          // The answer itself is in the inspector; read it to the end so the exchange completes.
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, ...(typeof code === 'string' ? { error: code } : {}) }),
          );
          res.on('error', fail);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', fail);
      req.end(body);
    });
  }
}
