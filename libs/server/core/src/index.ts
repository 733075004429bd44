// `@fdt/server-core`: everything. The edge entry plus what needs the database layer or
// swagger (TypeORM, migrations, crypto with its entity, authz vocabulary, OpenAPI).
export * from './edge.js';
export * from './http/openapi.js';
export * from './metrics/metrics-admin-server.js';
export * from './db/data-source-options.js';
export * from './db/database.module.js';
export * from './authz/permissions.js';
export * from './authz/actor.js';
export * from './crypto/secret-box.js';
export * from './crypto/opaque-token.js';
export * from './crypto/signing-key.entity.js';
export * from './crypto/key-ring.service.js';
export * from './crypto/crypto.module.js';
