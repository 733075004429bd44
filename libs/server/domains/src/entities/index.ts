import { Domain } from './domain.entity.js';

export const DOMAINS_ENTITIES = [Domain];
export * from './domain.entity.js';
