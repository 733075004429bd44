import { apiCall, requireApiKey } from '../../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../../base-command.js';
import { table } from '../../table.js';

interface TokenRow {
  id: string;
  description?: string | null;
  createdAt?: string;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
  [k: string]: unknown;
}

export default class AuthtokenList extends FdtCommand {
  static override summary = "List your org's agent authtokens (never the secrets).";
  static override description = 'Calls GET /api/v1/authtokens. Needs an API key.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuthtokenList);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt authtoken list');
    const res = await apiCall<{ items?: TokenRow[] } | TokenRow[]>(
      { apiUrl: s.apiUrl, apiKey, ca: s.ca },
      'GET',
      '/api/v1/authtokens',
    );
    const items = Array.isArray(res) ? res : (res?.items ?? []);
    this.print(flags.json, { items }, () =>
      items.length
        ? table(
            ['ID', 'DESCRIPTION', 'CREATED', 'LAST USED'],
            items.map((t) => [t.id, t.description ?? '', t.createdAt ?? '', t.lastUsedAt ?? 'never']),
          )
        : 'No authtokens.',
    );
  }
}
