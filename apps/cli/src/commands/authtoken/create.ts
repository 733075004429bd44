import { Flags } from '@oclif/core';
import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';

export default class AuthtokenCreate extends FdtCommand {
  static override summary = 'Create an agent authtoken (shown once).';
  static override description =
    'Calls POST /api/v1/authtokens. Needs an API key. Save the token: the api keeps only its hash.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --description "laptop"',
    '<%= config.bin %> login --authtoken "$(<%= config.bin %> <%= command.id %> --json | jq -r .token)"',
  ];
  static override flags = {
    description: Flags.string({ description: 'what the token is for' }),
    ...apiFlags,
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuthtokenCreate);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt authtoken create');
    const res = await apiCall<{ id: string; token: string }>(
      { apiUrl: s.apiUrl, apiKey, ca: s.ca },
      'POST',
      '/api/v1/authtokens',
      flags.description ? { description: flags.description } : {},
    );
    this.print(flags.json, res, () =>
      [
        `Authtoken ${res.id} created. It is shown only once:`,
        '',
        `  ${res.token}`,
        '',
        `Use it: fdt login --authtoken ${res.token}`,
      ].join('\n'),
    );
  }
}
