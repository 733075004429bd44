import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../errors.js';
import { parseUserConfig, resolveSettings, userConfigPath } from './user-config.js';

describe('userConfigPath', () => {
  it('uses XDG_CONFIG_HOME, else ~/.config', () => {
    expect(userConfigPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' })).toBe('/x/cfg/fdt/config.yml');
    expect(userConfigPath({ HOME: '/home/a' })).toBe('/home/a/.config/fdt/config.yml');
    // a relative XDG_CONFIG_HOME is invalid per the spec and ignored
    expect(userConfigPath({ XDG_CONFIG_HOME: 'rel', HOME: '/home/a' })).toBe(
      '/home/a/.config/fdt/config.yml',
    );
  });
});

describe('resolveSettings: flags > env > config file > default', () => {
  const file = { api_url: 'http://file:3000', authtoken: 'fdt_at_file', api_key: 'fdt_ak_file' };
  const env = { FDT_API_URL: 'http://env:3000', FDT_AUTHTOKEN: 'fdt_at_env', FDT_API_KEY: 'fdt_ak_env' };

  it('takes flags first', () => {
    expect(
      resolveSettings(
        { api: 'http://flag:3000', authtoken: 'fdt_at_flag', 'api-key': 'fdt_ak_flag' },
        env,
        file,
        '/c',
      ),
    ).toMatchObject({
      apiUrl: 'http://flag:3000',
      apiUrlFrom: 'flag',
      authtoken: 'fdt_at_flag',
      authtokenFrom: 'flag',
      apiKey: 'fdt_ak_flag',
      apiKeyFrom: 'flag',
    });
  });

  it('then the environment', () => {
    expect(resolveSettings({}, env, file, '/c')).toMatchObject({
      apiUrl: 'http://env:3000',
      authtoken: 'fdt_at_env',
      apiKey: 'fdt_ak_env',
      authtokenFrom: 'env',
    });
  });

  it('then the config file, per setting', () => {
    expect(resolveSettings({ authtoken: 'fdt_at_flag' }, { FDT_API_KEY: 'k' }, file, '/c')).toMatchObject({
      apiUrl: 'http://file:3000',
      apiUrlFrom: 'config',
      authtoken: 'fdt_at_flag',
      apiKey: 'k',
    });
  });

  it('then the default api; no secrets at all', () => {
    const r = resolveSettings({}, { FDT_AUTHTOKEN: '  ' }, {}, '/c');
    expect(r).toEqual({ apiUrl: 'http://localhost:3000', apiUrlFrom: 'default', configPath: '/c' });
  });
});

describe('parseUserConfig', () => {
  it('reads the three keys', () => {
    expect(parseUserConfig('api_url: http://a\nauthtoken: "t"\napi_key: k\n', 'c.yml')).toEqual({
      api_url: 'http://a',
      authtoken: 't',
      api_key: 'k',
    });
    expect(parseUserConfig('', 'c.yml')).toEqual({});
  });

  it('names the file and line of a mistake', () => {
    expect(() => parseUserConfig('api_url: http://a\ntoken: x\n', 'c.yml')).toThrow(
      new UsageError('c.yml:2: token: unknown key (expected one of api_url, authtoken, api_key)'),
    );
    expect(() => parseUserConfig('authtoken: 12\n', 'c.yml')).toThrow(
      /c\.yml:1: authtoken: expected a string/,
    );
    expect(() => parseUserConfig('a: [\n', 'c.yml')).toThrow(/^c\.yml:\d+: /);
  });
});
