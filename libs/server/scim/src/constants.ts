import { SCIM_ERROR_SCHEMA } from '@fdt/server-core';

/** The URNs of the schemas and messages we speak (RFC 7643, RFC 7644). */
export const ScimSchema = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  EnterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ServiceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  ResourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  Schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
  ListResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  PatchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  Error: SCIM_ERROR_SCHEMA,
} as const;

/** Where the SCIM service lives, outside the `/api/v1` prefix (DESIGN.md contract). */
export const SCIM_ROUTE = 'scim/v2';

/** Page size when the client sends no `count`, and the most one page returns. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 200;

/** Bounds on what a client can make us parse. */
export const MAX_FILTER_LENGTH = 2048;
export const MAX_FILTER_DEPTH = 32;
export const MAX_PATCH_OPERATIONS = 1000;
/** Members added or removed by one request (Entra sends them in batches of far fewer). */
export const MAX_MEMBERS_PER_REQUEST = 10_000;
export const MAX_ATTRIBUTE_LENGTH = 1024;
export const MAX_EMAILS = 20;

/** Live SCIM tokens per org: enough for one per IdP plus a rotation overlap. */
export const MAX_TOKENS_PER_ORG = 20;
/** `last_used_at` is written at most this often per token. */
export const LAST_USED_GRANULARITY_MS = 60_000;
/** A token's use is audited once per this interval (the first request of each hour). */
export const TOKEN_USE_AUDIT_INTERVAL = '1 hour';

/** The role a provisioned member gets, and the one they fall back to when no mapped group holds them. */
export const DEFAULT_ROLE = 'member' as const;
/** Roles a group may map to, lowest first; owners are never granted nor changed by SCIM. */
export const MAPPABLE_ROLES = ['viewer', 'billing', 'member', 'admin'] as const;
export type MappableRole = (typeof MAPPABLE_ROLES)[number];

/** Audit ids in one event's summary are capped; counts are always exact. */
export const AUDIT_ID_LIST_LIMIT = 100;
