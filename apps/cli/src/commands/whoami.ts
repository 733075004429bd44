import { apiCall, requireApiKey } from '../api.js';
import { apiFlags, FdtCommand, jsonFlag } from '../base-command.js';

interface Me {
  user?: { email?: string; name?: string; id?: string };
  org?: { name?: string; slug?: string; id?: string };
  role?: string;
  email?: string;
}

export default class Whoami extends FdtCommand {
  static override summary = 'Show the user, org and role of your API key.';
  static override description =
    'Calls GET /api/v1/me. Needs an API key (--api-key, FDT_API_KEY or api_key in the config file).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...apiFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Whoami);
    const s = this.settings(flags);
    const apiKey = requireApiKey(s.apiKey, 'fdt whoami');
    const me = await apiCall<Me>({ apiUrl: s.apiUrl, apiKey, ca: s.ca }, 'GET', '/api/v1/me');
    this.print(flags.json, me, () =>
      [
        `User  ${me.user?.email ?? me.email ?? me.user?.name ?? me.user?.id ?? '?'}`,
        `Org   ${me.org?.name ?? me.org?.slug ?? me.org?.id ?? '?'}`,
        `Role  ${me.role ?? '?'}`,
        `Api   ${s.apiUrl}`,
      ].join('\n'),
    );
  }
}
