import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { ExcludeFromOpenApi } from './openapi-exclude.js';
import { openApiDocument } from './openapi.js';

@ExcludeFromOpenApi()
@Controller('hidden')
class HiddenController {
  @Get()
  get(): string {
    return 'hidden';
  }
}

@Controller('shown')
class ShownController {
  @Get()
  get(): string {
    return 'shown';
  }
}

@Module({ controllers: [HiddenController, ShownController] })
class DocModule {}

describe('ExcludeFromOpenApi', () => {
  it("writes the metadata of swagger's ApiExcludeController", () => {
    class Ours {}
    class Theirs {}
    ExcludeFromOpenApi()(Ours);
    ApiExcludeController()(Theirs);
    const keys = Reflect.getMetadataKeys(Theirs);
    expect(keys).toEqual(Reflect.getMetadataKeys(Ours));
    for (const key of keys) expect(Reflect.getMetadata(key, Ours)).toEqual(Reflect.getMetadata(key, Theirs));
  });

  it('leaves the controller out of the OpenAPI document', async () => {
    // Preview mode: the module graph and metadata, no instances (as the api-client generator does).
    const app = await NestFactory.create(DocModule, { preview: true, logger: false });
    try {
      expect(Object.keys(openApiDocument(app, 'doc').paths)).toEqual(['/shown']);
    } finally {
      await app.close();
    }
  });
});
