import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';
import { table } from '../../table.js';

interface TunnelRow {
  id: string;
  name?: string;
  proto?: string;
  url?: string;
  status?: string;
  [k: string]: unknown;
}

export default class TunnelList extends FdtCommand {
  static override summary = "List your org's tunnels and whether they are online.";
  static override description =
    'Calls GET /api/v1/tunnels. Needs an API key (--api-key, FDT_API_KEY or api_key in the config file).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json | jq -r \'.items[] | select(.status=="online") | .url\'',
  ];
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(TunnelList);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt tunnel list');
    const res = await apiCall<{ items?: TunnelRow[] }>(
      { apiUrl: s.apiUrl, apiKey, ca: s.ca },
      'GET',
      '/api/v1/tunnels',
    );
    const items = res?.items ?? [];
    this.print(flags.json, { items }, () =>
      items.length
        ? table(
            ['NAME', 'PROTO', 'STATUS', 'URL', 'ID'],
            items.map((t) => [t.name ?? '', t.proto ?? '', t.status ?? '', t.url ?? '', t.id]),
          )
        : 'No tunnels.',
    );
  }
}
