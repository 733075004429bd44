import { ApiKey } from './api-key.entity.js';
import { type InvitationDelivery, MemberInvitation } from './member-invitation.entity.js';
import { Membership } from './membership.entity.js';
import { Org } from './org.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';
import { User } from './user.entity.js';

export type { InvitationDelivery };
export { ApiKey, MemberInvitation, Membership, Org, RefreshToken, Session, User };
export const IDENTITY_ENTITIES = [Org, User, Membership, Session, RefreshToken, ApiKey, MemberInvitation];
