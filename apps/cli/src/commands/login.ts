import { Flags } from '@oclif/core';
import { createAgentSession } from '@fdt/agent';
import { FdtCommand } from '../base-command.js';
import { readUserConfig, userConfigPath, writeUserConfig } from '../config/user-config.js';
import { UsageError } from '../errors.js';

export default class Login extends FdtCommand {
  static override summary = 'Save your authtoken (and api URL, API key) in the config file.';
  static override description = `Checks the authtoken with the api (it exchanges an agent session), then writes
~/.config/fdt/config.yml ($XDG_CONFIG_HOME/fdt/config.yml), mode 0600. Later commands use it
when no flag or environment variable gives the value.
Exit codes: 0 saved, 2 bad usage, 3 the api refused the authtoken, 1 otherwise.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --authtoken fdt_at_xxxxxxxx',
    '<%= config.bin %> <%= command.id %> --authtoken fdt_at_xxxxxxxx --api https://fdt.example.com',
    '<%= config.bin %> <%= command.id %> --authtoken fdt_at_xxxxxxxx --api-key fdt_ak_xxxxxxxx',
  ];

  static override flags = {
    authtoken: Flags.string({ description: 'agent authtoken (fdt_at_...)', required: true }),
    api: Flags.string({
      description: 'fdt api URL (default: FDT_API_URL, the saved one, else http://localhost:3000)',
    }),
    'api-key': Flags.string({ description: 'API key (fdt_ak_...) for tunnel list, authtoken, whoami' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Login);
    const authtoken = flags.authtoken.trim();
    if (!authtoken) throw new UsageError('--authtoken: empty', '--authtoken');
    const s = this.settings({ api: flags.api, authtoken, 'api-key': flags['api-key'] });
    await createAgentSession({
      apiUrl: s.apiUrl,
      authtoken,
      ca: s.ca,
      timeoutMs: 10_000,
      userAgent: `fdt/${this.config.version}`,
    });
    const file = userConfigPath();
    const prev = readUserConfig(file);
    writeUserConfig(
      {
        api_url: s.apiUrl,
        authtoken,
        ...(flags['api-key']
          ? { api_key: flags['api-key'].trim() }
          : prev.api_key
            ? { api_key: prev.api_key }
            : {}),
      },
      file,
    );
    this.log(`Authtoken saved to ${file} (api ${s.apiUrl}).`);
    this.log('Next: fdt tunnel start http 3000');
  }
}
