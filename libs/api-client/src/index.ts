import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type { Middleware };

/** Every DTO of the api, by its OpenAPI schema name: `Schemas['MemberDto']`. */
export type Schemas = components['schemas'];

export type ApiClient = Client<paths>;

/** A typed client for the fdt api (openapi-fetch over the generated `paths`). */
export function createApiClient(options: ClientOptions = {}): ApiClient {
  return createClient<paths>(options);
}

/** The RFC 9457 problem+json every error of the api is. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  [extra: string]: unknown;
}

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).code === 'string' &&
    typeof (value as Problem).status === 'number'
  );
}
