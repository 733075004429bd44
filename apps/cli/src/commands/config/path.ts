import { FdtCommand } from '../../base-command.js';
import { userConfigPath } from '../../config/user-config.js';

export default class ConfigPath extends FdtCommand {
  static override summary = 'Print where the config file is (it may not exist yet).';
  static override description = '$XDG_CONFIG_HOME/fdt/config.yml, else ~/.config/fdt/config.yml.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'cat "$(<%= config.bin %> <%= command.id %>)"',
  ];

  async run(): Promise<void> {
    await this.parse(ConfigPath);
    this.log(userConfigPath());
  }
}
