import { MAX_PAGE_SIZE, ScimSchema } from '../constants.js';

// What /ServiceProviderConfig, /ResourceTypes and /Schemas publish (RFC 7643 §5-7): only the
// attributes we keep. Others of the core User schema are accepted and ignored (docs/scim.md).

interface AttributeDef {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'default' | 'never' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: AttributeDef[];
  referenceTypes?: string[];
  canonicalValues?: string[];
}

const attr = (
  name: string,
  type: AttributeDef['type'],
  description: string,
  o: Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>> = {},
): AttributeDef => ({
  name,
  type,
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...o,
});

const USER_ATTRIBUTES: AttributeDef[] = [
  attr('userName', 'string', 'The sign-in email address of the member; unique.', {
    required: true,
    uniqueness: 'server',
  }),
  attr('externalId', 'string', 'The IdP’s identifier of the user.', { caseExact: true }),
  attr('name', 'complex', 'The parts of the user’s name.', {
    subAttributes: [
      attr('formatted', 'string', 'The full name.'),
      attr('familyName', 'string', 'The family name.'),
      attr('givenName', 'string', 'The given name.'),
    ],
  }),
  attr('displayName', 'string', 'The name shown in fdt.'),
  attr(
    'active',
    'boolean',
    'false suspends the membership: sessions, API keys and agent authtokens are revoked.',
  ),
  attr('emails', 'complex', 'Email addresses.', {
    multiValued: true,
    subAttributes: [
      attr('value', 'string', 'The address.'),
      attr('display', 'string', 'A label for the address.'),
      attr('type', 'string', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
      attr('primary', 'boolean', 'The primary address.'),
    ],
  }),
  attr('groups', 'complex', 'The SCIM groups of the org the user belongs to.', {
    multiValued: true,
    mutability: 'readOnly',
    subAttributes: [
      attr('value', 'string', 'The group’s id.', { mutability: 'readOnly' }),
      attr('$ref', 'reference', 'The group’s URI.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
      attr('display', 'string', 'The group’s displayName.', { mutability: 'readOnly' }),
    ],
  }),
];

const GROUP_ATTRIBUTES: AttributeDef[] = [
  attr('displayName', 'string', 'The group’s name; unique in the org.', {
    required: true,
    uniqueness: 'server',
  }),
  attr('externalId', 'string', 'The IdP’s identifier of the group.', { caseExact: true }),
  attr('members', 'complex', 'The users in the group.', {
    multiValued: true,
    subAttributes: [
      attr('value', 'string', 'The user’s id.', { mutability: 'immutable' }),
      attr('$ref', 'reference', 'The user’s URI.', { mutability: 'immutable', referenceTypes: ['User'] }),
      attr('display', 'string', 'The user’s userName.', { mutability: 'readOnly' }),
      attr('type', 'string', 'Always User.', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

export function schemaResources(baseUrl: string) {
  const schema = (id: string, name: string, description: string, attributes: AttributeDef[]) => ({
    schemas: [ScimSchema.Schema],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(ScimSchema.User, 'User', 'A member of the org', USER_ATTRIBUTES),
    schema(ScimSchema.Group, 'Group', 'A group of members; it may map to a role', GROUP_ATTRIBUTES),
  ];
}

export function resourceTypes(baseUrl: string) {
  const type = (id: 'User' | 'Group', endpoint: string, schema: string, description: string) => ({
    schemas: [ScimSchema.ResourceType],
    id,
    name: id,
    endpoint,
    description,
    schema,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${id}` },
  });
  return [
    type('User', '/Users', ScimSchema.User, 'Members of the org'),
    type('Group', '/Groups', ScimSchema.Group, 'Groups of members'),
  ];
}

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [ScimSchema.ServiceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A SCIM token of the org (fdt_scim_…), sent as Authorization: Bearer.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${baseUrl}/ServiceProviderConfig`,
    },
  };
}
