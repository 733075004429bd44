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

export function toDetail(r: InspectionRecord): InspectedRequestDto {
  return {
    ...toSummary(r),
    requestHeaders: r.requestHeaders.map(([name, value]) => ({ name, value })),
    responseHeaders: r.responseHeaders.map(([name, value]) => ({ name, value })),
    requestBody: r.requestBody,
    requestBodyTruncated: r.requestBodyTruncated,
    responseBody: r.responseBody,
    responseBodyTruncated: r.responseBodyTruncated,
  };
}
