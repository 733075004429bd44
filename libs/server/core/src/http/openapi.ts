import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/**
 * The OpenAPI document of an app, the same for the served `/api/docs-json` and for the
 * generated api client (which builds it from an app created with `preview: true`).
 * Only the full entry exports this: createHttpApp loads it when an app asks for OpenAPI.
 */
export function openApiDocument(app: INestApplication, title: string): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(title).setVersion('1').addBearerAuth().build(),
  );
}

/** Serves the UI at `path` and the JSON at `${path}-json`. */
export function setupOpenApi(app: INestApplication, title: string, path: string): void {
  SwaggerModule.setup(path, app, openApiDocument(app, title), { jsonDocumentUrl: `${path}-json` });
}
