import { Args } from '@oclif/core';
import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';

export default class AuthtokenRevoke extends FdtCommand {
  static override summary = 'Revoke an authtoken: agents using it are disconnected.';
  static override description = 'Calls DELETE /api/v1/authtokens/<id>. Needs an API key.';
  static override examples = ['<%= config.bin %> <%= command.id %> 6f1c2a9e-0000-4000-8000-000000000000'];
  static override args = {
    id: Args.string({ description: 'the authtoken id (see fdt authtoken list)', required: true }),
  };
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuthtokenRevoke);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt authtoken revoke');
    await apiCall(
      { apiUrl: s.apiUrl, apiKey, ca: s.ca },
      'DELETE',
      `/api/v1/authtokens/${encodeURIComponent(args.id)}`,
    );
    this.print(flags.json, { id: args.id, revoked: true }, () => `Authtoken ${args.id} revoked.`);
  }
}
