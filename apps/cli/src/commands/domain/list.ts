import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';
import { requireApiKey } from '../../api.js';
import { listDomains } from '../../domains.js';
import { table } from '../../table.js';

export default class DomainList extends FdtCommand {
  static override summary = "List your org's custom domains and their verification status.";
  static override description = 'Calls GET /api/v1/domains. Needs an API key.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DomainList);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt domain list');
    const items = await listDomains({ apiUrl: s.apiUrl, apiKey, ca: s.ca });
    this.print(flags.json, { items }, () =>
      items.length
        ? table(
            ['HOSTNAME', 'STATUS', 'TLS', 'LAST ERROR', 'ID'],
            items.map((d) => [d.hostname, d.status, d.tlsMode, d.verification.lastErrorCode ?? '', d.id]),
          )
        : 'No domains. Add one: fdt domain add app.example.com',
    );
  }
}
