import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_API_URL } from '@fdt/agent';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../errors.js';

// The user's config file (`~/.config/fdt/config.yml`) and the precedence of where each
// setting comes from: flags > environment > config file > default. The only place the CLI
// reads FDT_API_URL, FDT_AUTHTOKEN, FDT_API_KEY, HOME and XDG_CONFIG_HOME.

export interface UserConfig {
  api_url?: string;
  authtoken?: string;
  api_key?: string;
}

const KEYS = ['api_url', 'authtoken', 'api_key'] as const;

export type Source = 'flag' | 'env' | 'config' | 'default';

export interface Resolved {
  apiUrl: string;
  apiUrlFrom: Source;
  authtoken?: string;
  authtokenFrom?: Source;
  apiKey?: string;
  apiKeyFrom?: Source;
  configPath: string;
}

/** `$XDG_CONFIG_HOME/fdt/config.yml`, else `~/.config/fdt/config.yml`. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg && xdg.startsWith('/') ? xdg : join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'fdt', 'config.yml');
}

/** Parses the config file's text; a bad file is a UsageError naming the file and line. */
export function parseUserConfig(text: string, file: string): UserConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new UsageError(`${file}:${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw new UsageError(`${file}:1: expected a map of settings`);
  const out: UserConfig = {};
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const line = isScalar(pair.key) && pair.key.range ? lc.linePos(pair.key.range[0]).line : 1;
    if (!(KEYS as readonly string[]).includes(key))
      throw new UsageError(`${file}:${line}: ${key}: unknown key (expected one of ${KEYS.join(', ')})`);
    const v = isScalar(pair.value) ? pair.value.value : undefined;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') throw new UsageError(`${file}:${line}: ${key}: expected a string`);
    out[key as (typeof KEYS)[number]] = v;
  }
  return out;
}

export function readUserConfig(file: string = userConfigPath()): UserConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(
      `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return parseUserConfig(text, file);
}

/** Writes the file with mode 0600 in a 0700 directory (atomically, through a temp file). */
export function writeUserConfig(cfg: UserConfig, file: string = userConfigPath()): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const lines = ['# fdt CLI settings (written by `fdt login`; secrets: keep this file private)'];
  for (const k of KEYS) if (cfg[k] !== undefined) lines.push(`${k}: ${JSON.stringify(cfg[k])}`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function removeUserConfig(file: string = userConfigPath()): void {
  rmSync(file, { force: true });
}

export interface FlagValues {
  api?: string;
  authtoken?: string;
  'api-key'?: string;
}

function pick(flag: string | undefined, env: string | undefined, file: string | undefined) {
  const f = flag?.trim();
  if (f) return { value: f, from: 'flag' as const };
  const e = env?.trim();
  if (e) return { value: e, from: 'env' as const };
  const c = file?.trim();
  if (c) return { value: c, from: 'config' as const };
  return undefined;
}

/** flags > env (FDT_API_URL, FDT_AUTHTOKEN, FDT_API_KEY) > config file > default. */
export function resolveSettings(
  flags: FlagValues,
  env: NodeJS.ProcessEnv,
  file: UserConfig,
  configPath: string,
): Resolved {
  const api = pick(flags.api, env.FDT_API_URL, file.api_url);
  const tok = pick(flags.authtoken, env.FDT_AUTHTOKEN, file.authtoken);
  const key = pick(flags['api-key'], env.FDT_API_KEY, file.api_key);
  return {
    apiUrl: api?.value ?? DEFAULT_API_URL,
    apiUrlFrom: api?.from ?? 'default',
    ...(tok ? { authtoken: tok.value, authtokenFrom: tok.from } : {}),
    ...(key ? { apiKey: key.value, apiKeyFrom: key.from } : {}),
    configPath,
  };
}

/** Reads the environment and the config file, and applies the precedence. */
export function loadSettings(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): Resolved {
  const path = userConfigPath(env);
  return resolveSettings(flags, env, readUserConfig(path), path);
}
