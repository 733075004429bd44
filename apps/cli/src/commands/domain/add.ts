import { Args, Flags } from '@oclif/core';
import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';
import { type DomainRow, recordsText } from '../../domains.js';

export default class DomainAdd extends FdtCommand {
  static override summary = 'Add a custom domain and print the DNS records to create.';
  static override description =
    'Calls POST /api/v1/domains. Needs an API key. Create the records it prints, then run fdt domain verify.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> app.example.com',
    '<%= config.bin %> <%= command.id %> "*.apps.example.com" --tls-mode passthrough --json',
  ];
  static override args = {
    hostname: Args.string({
      description: 'the host name, e.g. app.example.com or *.apps.example.com',
      required: true,
    }),
  };
  static override flags = {
    'tls-mode': Flags.string({
      description: 'terminate: the edge holds the certificate; passthrough: your agent does',
      options: ['terminate', 'passthrough'],
    }),
    certificate: Flags.string({
      description: 'managed (ACME) or uploaded (your own)',
      options: ['managed', 'uploaded'],
    }),
    ...apiFlags,
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DomainAdd);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt domain add');
    const d = await apiCall<DomainRow>({ apiUrl: s.apiUrl, apiKey, ca: s.ca }, 'POST', '/api/v1/domains', {
      hostname: args.hostname,
      ...(flags['tls-mode'] ? { tlsMode: flags['tls-mode'] } : {}),
      ...(flags.certificate ? { certificate: flags.certificate } : {}),
    });
    this.print(flags.json, d, () =>
      [
        `Added ${d.hostname} (${d.id}), ${d.status.replace('_', ' ')}. Create these DNS records:`,
        '',
        recordsText(d),
        '',
        `Then run: fdt domain verify ${d.hostname}`,
      ].join('\n'),
    );
  }
}
