import type { Role } from '@fdt/server-core';
import type { GroupRoleRule } from '../entities/index.js';

/**
 * The role the IdP groups grant: rules are tried in their order and the first rule whose
 * group the user has wins. Group names compare exactly (IdPs send ids or names verbatim).
 * undefined when no rule matches.
 */
export function roleFromGroups(rules: readonly GroupRoleRule[], groups: readonly string[]): Role | undefined {
  if (rules.length === 0 || groups.length === 0) return undefined;
  const have = new Set(groups);
  return rules.find((r) => have.has(r.group))?.role;
}
