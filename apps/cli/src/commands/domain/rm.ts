import { Args } from '@oclif/core';
import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';
import { domainId } from '../../domains.js';

export default class DomainRm extends FdtCommand {
  static override summary = 'Remove a custom domain (and forget its certificate).';
  static override description = 'Calls DELETE /api/v1/domains/<id>. Needs an API key.';
  static override examples = ['<%= config.bin %> <%= command.id %> app.example.com'];
  static override args = {
    domain: Args.string({ description: 'the domain: its host name or id', required: true }),
  };
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DomainRm);
    const s = this.settings(flags);
    const o = { apiUrl: s.apiUrl, apiKey: requireApiKey(s.apiKey, 'fdt domain rm'), ca: s.ca };
    const id = await domainId(o, args.domain);
    await apiCall(o, 'DELETE', `/api/v1/domains/${encodeURIComponent(id)}`);
    this.print(flags.json, { id, removed: true }, () => `Domain ${args.domain} removed.`);
  }
}
