import { ScimSchema } from '../constants.js';
import type { ScimEmail } from '../entities/index.js';
import { weakEtag } from '../listing/etag.js';
import type { UserDraft } from './user-draft.js';
import type { GroupRef, UserRow } from './user-rows.js';

export interface ScimUserResource {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  displayName?: string;
  active: boolean;
  emails?: ScimEmail[];
  groups?: { value: string; display: string; $ref: string }[];
  meta: { resourceType: 'User'; created: string; lastModified: string; location: string; version: string };
}

/** The account's email as the work email, for members the IdP never described. */
const defaultEmails = (row: UserRow): ScimEmail[] => [
  { value: row.user_name ?? row.email, type: 'work', primary: true },
];

export function draftOf(row: UserRow): UserDraft {
  return {
    userName: row.user_name ?? row.email,
    externalId: row.external_id,
    givenName: row.given_name,
    familyName: row.family_name,
    formattedName: row.formatted_name,
    displayName: row.display_name,
    active: !row.deactivated_at,
    emails: row.emails,
  };
}

/** The name we show for the account elsewhere in fdt (users.name). */
export function accountName(d: UserDraft): string {
  return (d.displayName ?? d.formattedName ?? [d.givenName, d.familyName].filter(Boolean).join(' ')).slice(
    0,
    200,
  );
}

export function toScimUser(row: UserRow, groups: GroupRef[], baseUrl: string): ScimUserResource {
  const d = draftOf(row);
  const r: Omit<ScimUserResource, 'meta'> = {
    schemas: [ScimSchema.User],
    id: row.id,
    userName: d.userName,
    active: d.active,
  };
  if (d.externalId !== null) r.externalId = d.externalId;
  const name: NonNullable<ScimUserResource['name']> = {};
  if (d.givenName !== null) name.givenName = d.givenName;
  if (d.familyName !== null) name.familyName = d.familyName;
  if (d.formattedName !== null) name.formatted = d.formattedName;
  if (Object.keys(name).length) r.name = name;
  const displayName = d.displayName ?? (row.account_name || null);
  if (displayName !== null) r.displayName = displayName;
  const emails = d.emails ?? defaultEmails(row);
  if (emails.length) r.emails = emails;
  if (groups.length) {
    r.groups = groups.map((g) => ({
      value: g.id,
      display: g.display_name,
      $ref: `${baseUrl}/Groups/${g.id}`,
    }));
  }
  const lastModified =
    row.scim_updated_at && row.scim_updated_at > row.created_at ? row.scim_updated_at : row.created_at;
  return {
    ...r,
    meta: {
      resourceType: 'User',
      created: row.created_at.toISOString(),
      lastModified: lastModified.toISOString(),
      location: `${baseUrl}/Users/${row.id}`,
      // The representation itself is the version: any change of what a client sees changes it.
      version: weakEtag(JSON.stringify(r)),
    },
  };
}
