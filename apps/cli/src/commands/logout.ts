import { FdtCommand } from '../base-command.js';
import { readUserConfig, removeUserConfig, userConfigPath, writeUserConfig } from '../config/user-config.js';

export default class Logout extends FdtCommand {
  static override summary = 'Remove the saved authtoken and API key from the config file.';
  static override description = 'Keeps api_url; removes the file when nothing else is left in it.';
  static override examples = ['<%= config.bin %> <%= command.id %>'];

  async run(): Promise<void> {
    await this.parse(Logout);
    const file = userConfigPath();
    const cfg = readUserConfig(file);
    if (cfg.api_url) writeUserConfig({ api_url: cfg.api_url }, file);
    else removeUserConfig(file);
    this.log(`Removed the saved secrets from ${file}.`);
  }
}
