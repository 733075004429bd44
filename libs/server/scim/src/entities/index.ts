import { ScimGroupMember } from './scim-group-member.entity.js';
import { ScimGroup } from './scim-group.entity.js';
import { ScimToken } from './scim-token.entity.js';
import { ScimUser } from './scim-user.entity.js';

export { ScimGroup, ScimGroupMember, ScimToken, ScimUser };
export type { ScimEmail } from './scim-user.entity.js';
export const SCIM_ENTITIES = [ScimToken, ScimUser, ScimGroup, ScimGroupMember];
