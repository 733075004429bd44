import { Audit1795583676606 } from './1795583676606-Audit.js';
import { IdentityTunnelsKeys1795583748385 } from './1795583748385-IdentityTunnelsKeys.js';
import { RelayAgentTls1795585032906 } from './1795585032906-RelayAgentTls.js';
import { AdminPoliciesInvitations1795593410161 } from './1795593410161-AdminPoliciesInvitations.js';
import { Sso1795593738667 } from './1795593738667-Sso.js';
import { Scim1795593850504 } from './1795593850504-Scim.js';
import { OwnedEmails1796584169976 } from './1796584169976-OwnedEmails.js';
import { Domains1796590000000 } from './1796590000000-Domains.js';
import { Certificates1796590000500 } from './1796590000500-Certificates.js';
import { TunnelStatusTruth1796600000000 } from './1796600000000-TunnelStatusTruth.js';
import { Billing1796610000000 } from './1796610000000-Billing.js';
import { BillingUsageReports1796620000000 } from './1796620000000-BillingUsageReports.js';
// The one migration history of the platform, oldest first. Generate a new one with
// `npm run db:migration:generate -- <Name>`, review it, and add it here.
export const MIGRATIONS: Function[] = [
  Audit1795583676606,
  IdentityTunnelsKeys1795583748385,
  RelayAgentTls1795585032906,
  AdminPoliciesInvitations1795593410161,
  Sso1795593738667,
  Scim1795593850504,
  OwnedEmails1796584169976,
  Domains1796590000000,
  Certificates1796590000500,
  TunnelStatusTruth1796600000000,
  Billing1796610000000,
  BillingUsageReports1796620000000,
];
