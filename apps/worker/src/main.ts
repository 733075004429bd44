import { loadPlatformConfigOrExit } from '@fdt/server-core';
import { startWorker } from './bootstrap.js';

const config = loadPlatformConfigOrExit('worker');
const { url } = await startWorker(config);
console.log(JSON.stringify({ msg: 'fdt worker listening', adminUrl: url }));
