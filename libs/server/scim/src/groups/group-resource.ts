import { ScimSchema } from '../constants.js';
import { weakEtag } from '../listing/etag.js';
import type { GroupDraft } from './group-draft.js';
import type { GroupRow, MemberRef } from './group-rows.js';

export interface ScimGroupResource {
  schemas: string[];
  id: string;
  externalId?: string;
  displayName: string;
  members?: { value: string; display: string; type: 'User'; $ref: string }[];
  meta: { resourceType: 'Group'; created: string; lastModified: string; location: string; version: string };
}

/** Every change of a group (attributes or members) moves updated_at, so it names the version. */
export const groupVersion = (row: GroupRow): string => weakEtag(`${row.id}\u0000${row.version}`);

export function groupDraftOf(row: GroupRow, members: string[]): GroupDraft {
  return { displayName: row.display_name, externalId: row.external_id, members };
}

/** `members` undefined: not loaded (excluded by the request). */
export function toScimGroup(
  row: GroupRow,
  members: MemberRef[] | undefined,
  baseUrl: string,
): ScimGroupResource {
  const r: Omit<ScimGroupResource, 'meta'> = { schemas: [ScimSchema.Group], id: row.id, displayName: '' };
  if (row.external_id !== null) r.externalId = row.external_id;
  r.displayName = row.display_name;
  if (members) {
    r.members = members.map((x) => ({
      value: x.user_id,
      display: x.display,
      type: 'User',
      $ref: `${baseUrl}/Users/${x.user_id}`,
    }));
  }
  return {
    ...r,
    meta: {
      resourceType: 'Group',
      created: row.created_at.toISOString(),
      lastModified: row.updated_at.toISOString(),
      location: `${baseUrl}/Groups/${row.id}`,
      version: groupVersion(row),
    },
  };
}
