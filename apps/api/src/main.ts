import { loadPlatformConfigOrExit } from '@fdt/server-core';
import { startApi } from './bootstrap.js';

const config = loadPlatformConfigOrExit('api');
const { url } = await startApi(config);
console.log(JSON.stringify({ msg: 'fdt api listening', url }));
