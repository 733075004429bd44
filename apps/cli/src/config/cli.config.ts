import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

// What the CLI reads from the environment besides its flags' own `env` fallbacks
// (FDT_AUTHTOKEN, FDT_API_URL): read here, once.

export interface CliEnv {
  /** PEM of extra CAs to trust (the relay's, the api's) */
  ca?: Buffer;
  caFile?: string;
  /** print stacks of unexpected errors */
  debug: boolean;
}

export function loadCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const caFile = env.FDT_CA_FILE?.trim() || undefined;
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (e) {
      throw new UsageError(
        `FDT_CA_FILE: cannot read ${caFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'FDT_CA_FILE',
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new UsageError(`FDT_CA_FILE: ${caFile} holds no PEM certificate`, 'FDT_CA_FILE');
  }
  return { ca, caFile, debug: cliDebug(env) };
}

export function cliDebug(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.DEBUG);
}
