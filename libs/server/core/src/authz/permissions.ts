// The permissions that guard every endpoint. Which role holds which permission is decided
// in one map (libs/server/identity: role-permissions.ts); controllers only name what they need.
export const Permission = {
  OrgRead: 'org:read',
  OrgUpdate: 'org:update',
  MembersRead: 'members:read',
  MembersManage: 'members:manage',
  ApiKeysManage: 'api-keys:manage',
  AuthtokensManage: 'authtokens:manage',
  TunnelsRead: 'tunnels:read',
  TunnelsManage: 'tunnels:manage',
  ReservationsManage: 'reservations:manage',
  AuditRead: 'audit:read',
  BillingRead: 'billing:read',
  BillingManage: 'billing:manage',
  SsoManage: 'sso:manage',
  RelaysRead: 'relays:read',
  DomainsRead: 'domains:read',
  DomainsManage: 'domains:manage',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export const ROLES = ['owner', 'admin', 'member', 'viewer', 'billing'] as const;
export type Role = (typeof ROLES)[number];
