import { Command, Flags } from '@oclif/core';
import { cliDebug, loadCliEnv } from './config/cli.config.js';
import { loadSettings, type FlagValues, type Resolved } from './config/user-config.js';
import { toFailure } from './errors.js';
import { Reporter } from './output.js';

/** Flags that say where the api is and how to authenticate to it. */
export const apiFlags = {
  api: Flags.string({
    description: 'fdt api URL (env FDT_API_URL, config api_url; default http://localhost:3000)',
  }),
  'api-key': Flags.string({ description: 'API key fdt_ak_... (env FDT_API_KEY, config api_key)' }),
};

export const jsonFlag = {
  json: Flags.boolean({ description: 'print JSON instead of text' }),
};

/** The management commands: settings resolution, and failures printed with exit codes. */
export abstract class FdtCommand extends Command {
  protected apiUrl: string | undefined;

  protected settings(flags: FlagValues): Resolved & { ca?: Buffer } {
    const s = loadSettings(flags);
    this.apiUrl = s.apiUrl;
    return { ...s, ca: loadCliEnv().ca };
  }

  protected print(json: boolean, value: unknown, text: () => string): void {
    process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    // oclif's own exits (--help, --version) are not failures.
    const o = err as { oclif?: { exit?: number } };
    if (o.oclif?.exit === 0) return;
    const failure = toFailure(err, { apiUrl: this.apiUrl, command: this.id?.replace(/:/g, ' ') });
    const out = new Reporter(this.argv.includes('--json') ? 'json' : 'text');
    out.failure(failure, failure.bug && cliDebug() ? err.stack : undefined);
    process.exit(failure.exitCode);
  }
}
