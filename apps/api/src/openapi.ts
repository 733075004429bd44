import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadPlatformConfig, openApiDocument } from '@fdt/server-core';
import { ApiModule } from './api.module.js';

export const API_TITLE = 'fdt API';

/**
 * The api's OpenAPI document without a database or a listening socket: Nest's preview mode
 * builds the module graph and reads the controllers' metadata but instantiates nothing.
 * `npm run api-client:generate` writes the typed client from it.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  // Preview mode instantiates nothing, so no secret is ever used: the development defaults do.
  const config = loadPlatformConfig({ NODE_ENV: 'development', FDT_LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(ApiModule.forRoot(config), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return openApiDocument(app, API_TITLE);
  } finally {
    await app.close();
  }
}
