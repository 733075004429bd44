// Jest's ESM loader refuses a CommonJS package that require()s an ES module still being
// linked (a "require(esm) cycle"): @willsoto/nestjs-prometheus requires @nestjs/common while
// our ESM graph imports both. Loading Nest's packages first makes those requires plain
// cache hits, as they are under Node itself.
import 'reflect-metadata';
await import('@nestjs/common');
await import('@nestjs/core');
