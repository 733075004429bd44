import type { InspectionRecord } from '@fdt/ports';
import type { InspectedRequestDto, InspectedRequestSummaryDto } from './inspection.dto.js';

const header = (headers: [string, string][], name: string): string | null =>
  headers.find(([k]) => k.toLowerCase() === name)?.[1] ?? null;

export function toSummary(r: InspectionRecord): InspectedRequestSummaryDto {
  return {
    id: r.id,
    requestId: r.requestId,
    tunnel: r.tunnel,
    host: r.host,
    method: r.method,
    path: r.path,
    status: r.status,
    remoteAddr: r.remoteAddr,
    startedAt: r.startedAt,
    durationMs: Math.round(r.durationMs * 10) / 10,
    ...(r.timeToHeadMs !== undefined ? { timeToHeadMs: Math.round(r.timeToHeadMs * 10) / 10 } : {}),
    requestBytes: r.requestBytes,
    responseBytes: r.responseBytes,
    ...(r.error ? { error: r.error } : {}),
    requestContentType: header(r.requestHeaders, 'content-type'),
    responseContentType: header(r.responseHeaders, 'content-type'),
  };
}

// Headers that carry a visitor's credentials: a session cookie or a bearer token would let a
// reader act as that visitor on the tunnel's service. Only those who may replay (and so send
// them anyway) see their values.
const CREDENTIAL_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization', 'set-cookie']);
export const HIDDEN_HEADER_VALUE = '[hidden: needs tunnels:manage]';

const headerList = (headers: [string, string][], revealCredentials: boolean) =>
  headers.map(([name, value]) => ({
    name,
    value: revealCredentials || !CREDENTIAL_HEADERS.has(name.toLowerCase()) ? value : HIDDEN_HEADER_VALUE,
  }));

export function toDetail(r: InspectionRecord, opts: { revealCredentials: boolean }): InspectedRequestDto {
  return {
    ...toSummary(r),
    requestHeaders: headerList(r.requestHeaders, opts.revealCredentials),
    responseHeaders: headerList(r.responseHeaders, opts.revealCredentials),
    requestBody: r.requestBody,
    requestBodyTruncated: r.requestBodyTruncated,
    responseBody: r.responseBody,
    responseBodyTruncated: r.responseBodyTruncated,
  };
}
