import { ConfigError, loadPlatformConfig, type PlatformConfig } from './platform-config.js';

/**
 * A server's configuration from its environment, or, when it is invalid, the reasons on
 * stderr (without a stack trace, which would bury them) and exit code 1.
 */
export function loadPlatformConfigOrExit(app: string): PlatformConfig {
  try {
    return loadPlatformConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`fdt ${app}: ${e.message}\n`);
    process.exit(1);
  }
}
