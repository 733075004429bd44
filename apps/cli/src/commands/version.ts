import { FdtCommand, jsonFlag } from '../base-command.js';

export default class Version extends FdtCommand {
  static override summary = 'Print the version of fdt.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const v = {
      version: this.config.version,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
    this.print(flags.json, v, () => `fdt ${v.version} (node ${v.node}, ${v.platform})`);
  }
}
