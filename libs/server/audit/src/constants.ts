/** prev_hash of the first event of every org's chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * First key of the two-key advisory lock that serialises chain appends per org (the second
 * is hashtext(org_id)). Two-key locks never collide with the one-key locks used elsewhere.
 */
export const AUDIT_LOCK_NAMESPACE = 0x61_75_64_74; // 'audt'

export const MAX_USER_AGENT_LENGTH = 512;
/** Upper bound of one event's summary, as JSON: a summary describes a change, it is not a payload. */
export const MAX_SUMMARY_BYTES = 32 * 1024;

export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 200;
/** Rows per query when verifying or exporting, so neither holds a whole chain in memory. */
export const VERIFY_BATCH_SIZE = 1000;
export const EXPORT_BATCH_SIZE = 500;

/** `member.role_changed`, `org.sso.updated`: lower-case dotted words. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
/** A list/export filter: an exact action, or a prefix ending in `.*` (`member.*`). */
export const ACTION_FILTER_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$/;
