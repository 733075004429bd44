import { describe, expect, it, jest } from '@jest/globals';

// What the edge entry must never load: the database layer, the OpenAPI generator, the job
// queue and request validation (each hundreds of modules the relay has no use for). Every
// one is replaced by a stub that records being loaded, whether by import or by require.
const HEAVY = ['typeorm', '@nestjs/typeorm', 'pg', '@nestjs/swagger', 'bullmq', 'class-validator'];
const loaded: string[] = [];
for (const name of HEAVY) {
  const stub = () => {
    loaded.push(name);
    return {};
  };
  jest.unstable_mockModule(name, stub);
  jest.doMock(name, stub, { virtual: true });
}

describe('@fdt/server-core/edge', () => {
  it('loads no database layer, swagger, BullMQ or class-validator', async () => {
    const edge = await import('./edge.js');
    expect(Object.keys(edge)).toEqual(
      expect.arrayContaining([
        'loadPlatformConfig',
        'PLATFORM_CONFIG',
        'PlatformConfigModule',
        'PlatformLoggingModule',
        'PlatformPortsModule',
        'PUBSUB',
        'INSPECTION_LOG',
        'PlatformHealthModule',
        'PlatformMetricsModule',
        'createHttpApp',
        'listen',
        'DomainException',
        'ProblemFilter',
      ]),
    );
    expect(loaded).toEqual([]);
  });
});
