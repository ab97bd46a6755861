/**
 * Bounds on what people write, defined once. The API's schemas (shared/api/schemas.ts), the
 * use cases, the email page's form and the CLI's manifest all read them from here.
 * docs/api-limits.md explains each.
 */

/** A request's reason (written by the pipeline, shown to approvers). */
export const MAX_REASON_CHARS = 1000;
/** An approver's reason for a decision or a revocation (the audit trail keeps this much). */
export const MAX_DECISION_REASON_CHARS = 500;
/** Labels a request carries for approvers (`context`). */
export const MAX_CONTEXT_KEYS = 16;
export const MAX_CONTEXT_KEY_CHARS = 64;
export const MAX_CONTEXT_VALUE_CHARS = 256;
/** A context key: 1 to 64 of A-Z a-z 0-9 _ . - (and never `__proto__`, which a JSON object cannot hold as data). */
export const CONTEXT_KEY = new RegExp(`^(?!__proto__$)[A-Za-z0-9_.-]{1,${MAX_CONTEXT_KEY_CHARS}}$`);
/** A profile's name as a request gives it. */
export const MAX_PROFILE_NAME_CHARS = 64;
/** Ids in paths and Slack buttons: jitvend issues UUIDs. */
export const MAX_ID_CHARS = 64;
/** A request id as the API accepts it in paths, the local page in `?request=` and Slack in buttons. */
export const ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_ID_CHARS}}$`);
