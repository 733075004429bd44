// Opens N idle agent sessions (one connection each) to measure the relay's memory per agent.
import { readFileSync } from 'node:fs';
import { AgentClient } from '@fdt/agent';

const n = Number(process.argv[2] ?? 2000);
const ca = process.env.FDT_CA_FILE ? readFileSync(process.env.FDT_CA_FILE) : undefined;
const clients = [];
for (let i = 0; i < n; i += 50) {
  const batch = Array.from({ length: Math.min(50, n - i) }, () => {
    const c = new AgentClient({
      authtoken: process.env.FDT_AUTHTOKEN,
      apiUrl: process.env.FDT_API_URL,
      ca,
      tunnels: [{ proto: 'http', addr: Number(process.env.ORIGIN) }],
      checkLocal: false,
      pingIntervalMs: 60_000,
    });
    clients.push(c);
    return c.start();
  });
  await Promise.all(batch);
}
console.log(JSON.stringify({ ready: clients.length }));
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 60_000);
