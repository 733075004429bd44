import { loadPlatformConfig } from '@fdt/server-core';
import { startApi } from './bootstrap.js';

const config = loadPlatformConfig();
const { url } = await startApi(config);
console.log(JSON.stringify({ msg: 'fdt api listening', url }));
