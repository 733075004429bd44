import { Audit1795583676606 } from './1795583676606-Audit.js';
import { IdentityTunnelsKeys1795583748385 } from './1795583748385-IdentityTunnelsKeys.js';
import { RelayAgentTls1795585032906 } from './1795585032906-RelayAgentTls.js';
// The one migration history of the platform, oldest first. Generate a new one with
// `npm run db:migration:generate -- <Name>`, review it, and add it here.
export const MIGRATIONS: Function[] = [
  Audit1795583676606,
  IdentityTunnelsKeys1795583748385,
  RelayAgentTls1795585032906,
];
