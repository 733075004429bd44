import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadPlatformConfig } from './platform-config.js';

describe('loadPlatformConfig', () => {
  it('gives the documented defaults and the single-node shape without REDIS_URL', () => {
    const c = loadPlatformConfig({});
    expect(c.api.port).toBe(3000);
    expect(c.adapters).toBe('single-node');
    expect(c.encryptionKey).toHaveLength(32);
  });

  it('chooses the scaled shape when REDIS_URL is set', () => {
    expect(loadPlatformConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).adapters).toBe('redis');
  });

  it('names every invalid variable', () => {
    expect(() => loadPlatformConfig({ FDT_API_PORT: 'eighty', DATABASE_URL: 'nope' })).toThrow(
      /FDT_API_PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*FDT_API_PORT/,
    );
  });

  it('refuses production without an encryption key', () => {
    expect(() => loadPlatformConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadPlatformConfig({ NODE_ENV: 'production', FDT_ENCRYPTION_KEY: 'short' })).toThrow(
      /FDT_ENCRYPTION_KEY/,
    );
  });
});
