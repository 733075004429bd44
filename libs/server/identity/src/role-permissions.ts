import { Permission, type Role } from '@fdt/server-core';

// The one map of who may do what. Rules that depend on the target (only owners touch
// owners, the last owner stays, members manage only their own tokens) live in the services.
const P = Permission;
const ALL = Object.values(Permission);

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(ALL),
  admin: new Set(ALL.filter((p) => p !== P.BillingManage)),
  member: new Set([
    P.OrgRead,
    P.MembersRead,
    P.TunnelsRead,
    P.TunnelsManage,
    P.AuthtokensManage,
    P.ApiKeysManage,
    P.DomainsRead,
  ]),
  viewer: new Set([P.OrgRead, P.MembersRead, P.TunnelsRead, P.DomainsRead]),
  billing: new Set([P.OrgRead, P.BillingRead, P.BillingManage]),
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Roles a member of `granter` role may hand out (to members or to API keys). */
export function grantableRoles(granter: Role): Role[] {
  switch (granter) {
    case 'owner':
      return ['owner', 'admin', 'member', 'viewer', 'billing'];
    case 'admin':
      return ['admin', 'member', 'viewer', 'billing'];
    case 'member':
      return ['member', 'viewer'];
    case 'viewer':
      return ['viewer'];
    case 'billing':
      return ['billing'];
  }
}

// The roles that are steps of one ladder; `billing` sits beside it.
const LADDER: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/**
 * The role an API key acts with: its own while its creator could still grant it, else its
 * creator's current role when both are on the owner > admin > member > viewer ladder (a
 * demoted member's keys come down with them), else none (the key stops working).
 */
export function effectiveKeyRole(keyRole: Role, creatorRole: Role): Role | undefined {
  if (grantableRoles(creatorRole).includes(keyRole)) return keyRole;
  return LADDER.includes(keyRole) && LADDER.includes(creatorRole) ? creatorRole : undefined;
}

/** Whether an actor with `role` may act on a resource that belongs to someone else. */
export const managesOthers = (role: Role): boolean => role === 'owner' || role === 'admin';
