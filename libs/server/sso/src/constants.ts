/** Where the routes live; the SAML and OIDC paths are contracts (IdPs are configured with them). */
export const SSO_BASE = 'api/v1/sso';
export const samlMetadataPath = (connectionId: string) => `/api/v1/sso/saml/${connectionId}/metadata`;
export const samlAcsPath = (connectionId: string) => `/api/v1/sso/saml/${connectionId}/acs`;
export const samlSloPath = (connectionId: string) => `/api/v1/sso/saml/${connectionId}/slo`;
export const oidcCallbackPath = (connectionId: string) => `/api/v1/sso/oidc/${connectionId}/callback`;
export const loginPath = (connectionId: string) => `/api/v1/sso/login/${connectionId}`;

/** SPA pages the browser is sent back to. */
export const SPA_COMPLETE_PATH = '/auth/sso/complete';
export const SPA_SIGN_IN_PATH = '/sign-in';

/** Prefixes in the key-value port. */
export const KV_SAML_REQUEST = 'sso:saml:req:';
export const KV_SAML_ASSERTION = 'sso:saml:assertion:';
export const KV_OIDC_STATE = 'sso:oidc:state:';

/** How long a started sign-in may take at the IdP (SAML request ids, OIDC state). */
export const LOGIN_FLOW_TTL_SECONDS = 600;
/** Tolerated difference between our clock and the IdP's. */
export const CLOCK_SKEW_MS = 60_000;
/** Replay guard for assertions without a usable NotOnOrAfter, and its upper bound. */
export const ASSERTION_REPLAY_TTL_SECONDS = { min: 300, max: 86_400 };

/** Binds an OIDC flow to the browser that started it (SameSite=Lax survives the IdP's redirect). */
export const OIDC_FLOW_COOKIE = 'fdt_sso_flow';

/** TXT record name prefix for domain verification and the value's prefix. */
export const DOMAIN_CHALLENGE_LABEL = '_fdt-challenge';
export const DOMAIN_CHALLENGE_PREFIX = 'fdt-domain-verification=';

/** Discovery requests per client IP per minute (public, unauthenticated). */
export const DISCOVER_PER_MINUTE = 30;

/** Bounds on what we accept from IdPs and admins. */
export const MAX_SAML_RESPONSE_BYTES = 512 * 1024;
export const MAX_METADATA_BYTES = 512 * 1024;
export const MAX_GROUP_RULES = 100;
export const MAX_GROUPS_CONSIDERED = 1000;
export const MAX_BREAK_GLASS = 10;
export const OIDC_HTTP_TIMEOUT_SECONDS = 10;
export const OIDC_CONFIG_CACHE_MS = 10 * 60_000;
export const DNS_TIMEOUT_MS = 3000;

/** Injection token of the DNS resolver used for domain verification (a `dns.promises.Resolver`). */
export const SSO_DNS_RESOLVER = Symbol('SSO_DNS_RESOLVER');
