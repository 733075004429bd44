import { loadPlatformConfigOrExit } from '@fdt/server-core/edge';
import { startRelay } from './bootstrap.js';

const config = loadPlatformConfigOrExit('relay');
const { url, ports } = await startRelay(config);
console.log(JSON.stringify({ msg: 'fdt relay listening', adminUrl: url, name: config.relay.name, ports }));
