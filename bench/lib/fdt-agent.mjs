// The bench's agent process: an http tunnel to the nginx origin and a tcp tunnel to the
// raw source, through the SDK; prints their URLs as one JSON line.
import { readFileSync } from 'node:fs';
import { forward } from '@fdt/agent';

const ca = readFileSync(process.env.FDT_CA_FILE);
const web = await forward({ addr: Number(process.env.ORIGIN), proto: 'http', ca, inspect: process.env.BENCH_INSPECT !== 'false' });
const raw = await forward({ addr: Number(process.env.TCP_ORIGIN), proto: 'tcp', ca });
console.log(JSON.stringify({ http: web.url(), tcp: raw.url() }));
process.on('SIGTERM', async () => {
  await Promise.all([web.close(), raw.close()]);
  process.exit(0);
});
