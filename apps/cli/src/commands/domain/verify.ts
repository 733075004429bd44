import { Args } from '@oclif/core';
import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';
import { domainId, type DomainRow } from '../../domains.js';

export default class DomainVerify extends FdtCommand {
  static override summary = "Check a domain's DNS records now.";
  static override description =
    'Calls POST /api/v1/domains/<id>/verify. Needs an API key. Fails (exit 1) with the reason while the records are missing or wrong.';
  static override examples = ['<%= config.bin %> <%= command.id %> app.example.com'];
  static override args = {
    domain: Args.string({ description: 'the domain: its host name or id', required: true }),
  };
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DomainVerify);
    const s = this.settings(flags);
    const o = { apiUrl: s.apiUrl, apiKey: requireApiKey(s.apiKey, 'fdt domain verify'), ca: s.ca };
    const id = await domainId(o, args.domain);
    const d = await apiCall<DomainRow>(o, 'POST', `/api/v1/domains/${encodeURIComponent(id)}/verify`);
    this.print(
      flags.json,
      d,
      () =>
        `${d.hostname} is verified. Serve it: fdt tunnel start ${d.tlsMode === 'passthrough' ? 'tls' : 'http'} <port> --domain ${d.wildcard ? d.hostname.replace('*', '<name>') : d.hostname}`,
    );
  }
}
