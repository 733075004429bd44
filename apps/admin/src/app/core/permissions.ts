// The permission names the api reports in /api/v1/me (`permissions`), and why an action
// needs them, for the reason shown beside a disabled control.
export const P = {
  MembersRead: 'members:read',
  MembersManage: 'members:manage',
  ApiKeysManage: 'api-keys:manage',
  AuthtokensManage: 'authtokens:manage',
  TunnelsRead: 'tunnels:read',
  TunnelsManage: 'tunnels:manage',
  ReservationsManage: 'reservations:manage',
  DomainsRead: 'domains:read',
  DomainsManage: 'domains:manage',
  AuditRead: 'audit:read',
  SsoManage: 'sso:manage',
  RelaysRead: 'relays:read',
  BillingRead: 'billing:read',
  BillingManage: 'billing:manage',
} as const;

export const ROLE_NAMES: Record<string, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
  billing: 'Billing',
};

export const ROLE_HELP: Record<string, string> = {
  owner: 'Everything, including billing and other owners. An org always keeps at least one owner.',
  admin: 'Everything except billing changes; cannot change or remove owners.',
  member: 'Runs tunnels, creates their own authtokens and API keys, reads members.',
  viewer: 'Reads tunnels, traffic and members; changes nothing.',
  billing: 'Billing only.',
};

/** Who holds a permission, said the way a person asks an admin for it. */
export function needs(permission: string): string {
  const who: Record<string, string> = {
    [P.MembersManage]: 'an owner or admin',
    [P.ReservationsManage]: 'an owner or admin',
    [P.DomainsManage]: 'an owner or admin',
    [P.AuditRead]: 'an owner or admin',
    [P.SsoManage]: 'an owner or admin',
    [P.RelaysRead]: 'an owner or admin',
    [P.TunnelsManage]: 'a member, admin or owner',
    [P.AuthtokensManage]: 'a member, admin or owner',
    [P.ApiKeysManage]: 'a member, admin or owner',
    [P.TunnelsRead]: 'a viewer, member, admin or owner',
    [P.MembersRead]: 'a viewer, member, admin or owner',
    [P.DomainsRead]: 'a viewer, member, admin or owner',
    [P.BillingRead]: 'an owner, admin or billing member',
    [P.BillingManage]: 'an owner or billing member',
  };
  return `Your role cannot do this: it needs the “${permission}” permission, which ${who[permission] ?? 'another role'} has.`;
}
