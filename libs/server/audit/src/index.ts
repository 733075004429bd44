import { AuditEvent } from './audit-event.entity.js';

export const AUDIT_ENTITIES = [AuditEvent];

export { AuditEvent, AUDIT_ACTOR_TYPES, type AuditActorType } from './audit-event.entity.js';
export * from './audit.types.js';
export * from './audit.exception.js';
export { AuditService, toAuditEntry } from './audit.service.js';
export { AuditController } from './audit.controller.js';
export { AuditModule } from './audit.module.js';
export { canonicalJson, computeEventHash, type ChainFields } from './audit-hash.js';
export type { JsonObject, JsonValue } from './json.js';
export { GENESIS_HASH } from './constants.js';
export * from './dto/audit-response.dto.js';
export * from './dto/audit-query.dto.js';
export { csvCell, csvRow } from './audit-csv.js';
