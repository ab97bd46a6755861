/**
 * How an issued STS session is named and tagged, so that CloudTrail links every call made
 * with it back to its request. STS's own rules are written down here once (no AWS imports):
 * the STS adapter sends what these functions build, and the local STS stand-in checks them.
 */
import { ValidationError } from './errors.ts';
import type { AssumeRoleInput } from './ports.ts';
import type { AccessRequest } from './types.ts';

/** AssumeRole's DurationSeconds bounds for role chaining (the vending function's role assumes the target). */
export const MIN_SESSION_DURATION_SECONDS = 900;
export const MAX_SESSION_DURATION_SECONDS = 3600;
/** Plaintext limit of an inline session policy. */
export const MAX_SESSION_POLICY_CHARS = 2048;
export const MAX_SESSION_TAGS = 50;
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;

/** STS's rule for SourceIdentity and RoleSessionName: 2 to 64 characters of `[A-Za-z0-9_.,+=@-]`. */
const SOURCE_IDENTITY_PATTERN = /^[A-Za-z0-9_.,+=@-]{2,64}$/;
/** Characters STS allows in session tag keys and values. */
const TAG_CHARS_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_CHAR_DISALLOWED = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

const SESSION_TAG_REQUEST = 'jitvend:request';
const SESSION_TAG_PROFILE = 'jitvend:profile';
const SESSION_TAG_REQUESTER = 'jitvend:requester';

export function isValidSourceIdentity(value: string): boolean {
  return SOURCE_IDENTITY_PATTERN.test(value);
}

/** `jitvend-<requestId>`: the session's SourceIdentity and RoleSessionName. */
export function sourceIdentityFor(requestId: string): string {
  const sourceIdentity = `jitvend-${requestId}`;
  if (!isValidSourceIdentity(sourceIdentity)) {
    throw new ValidationError(
      'request id cannot form an STS source identity (2 to 64 characters of A-Z a-z 0-9 _ . , + = @ -)',
    );
  }
  return sourceIdentity;
}

/** length in characters as STS counts them (code points, not UTF-16 units) */
function charCount(value: string): number {
  return Array.from(value).length;
}

export function isValidTagKey(key: string): boolean {
  const length = charCount(key);
  return length >= 1 && length <= MAX_TAG_KEY_CHARS && TAG_CHARS_PATTERN.test(key);
}

export function isValidTagValue(value: string): boolean {
  return charCount(value) <= MAX_TAG_VALUE_CHARS && TAG_CHARS_PATTERN.test(value);
}

/**
 * Makes any string a valid session tag value: each character STS does not allow becomes `_`
 * (`#`, `*`, `(`, control characters...), and the result is cut to 256 characters.
 */
export function sanitizeTagValue(value: string): string {
  return Array.from(value.replace(TAG_CHAR_DISALLOWED, '_')).slice(0, MAX_TAG_VALUE_CHARS).join('');
}

/** Same as sanitizeTagValue for keys: at most 128 characters and never empty. */
export function sanitizeTagKey(key: string): string {
  const sanitized = Array.from(key.replace(TAG_CHAR_DISALLOWED, '_')).slice(0, MAX_TAG_KEY_CHARS).join('');
  return sanitized === '' ? '_' : sanitized;
}

export interface SessionTagInput {
  requestId: string;
  profile: string;
  /** the requester's principal id, e.g. `repo:acme/orders:ref:refs/heads/main` */
  requester: string;
}

/** The session tags of an issued session: `jitvend:request`, `jitvend:profile`, `jitvend:requester`. */
export function sessionTagsFor(input: SessionTagInput): Record<string, string> {
  return {
    [SESSION_TAG_REQUEST]: sanitizeTagValue(input.requestId),
    [SESSION_TAG_PROFILE]: sanitizeTagValue(input.profile),
    [SESSION_TAG_REQUESTER]: sanitizeTagValue(input.requester),
  };
}

/**
 * The AssumeRole of a request's session: its session policy, `jitvend-<id>` as source identity
 * and session name, and its tags. The first session (the workflow's IssueCredentials) and every
 * renewal (renew-request.ts) send exactly this; only the duration differs.
 */
export function assumeRoleInputFor(
  request: Pick<AccessRequest, 'id' | 'profile' | 'requester' | 'sessionPolicy'>,
  roleArn: string,
  durationSeconds: number,
): AssumeRoleInput {
  return {
    roleArn,
    policy: JSON.stringify(request.sessionPolicy),
    durationSeconds,
    sourceIdentity: sourceIdentityFor(request.id),
    tags: sessionTagsFor({ requestId: request.id, profile: request.profile, requester: request.requester }),
  };
}

/**
 * STS packs the session policy and the session tags together into a binary form with its own
 * limit (PackedPolicyTooLarge), which AWS does not publish. jitvend checks an estimate at preview
 * and create, so an approver never approves what STS will refuse: the policy's characters plus
 * every tag's key and value, counted against the same 2,048 characters STS allows the policy's
 * plaintext alone. STS compresses both, so the margin is at least the tags' own text (about
 * 80 characters plus the profile name and the requester). docs/api-limits.md.
 */
const PACKED_SIZE_BUDGET = MAX_SESSION_POLICY_CHARS;

/** The longest request id jitvend issues (a UUID): preview and create estimate with it. */
export const REQUEST_ID_CHARS = 36;

export interface PackedSizeEstimate {
  policyChars: number;
  tagChars: number;
  total: number;
  budget: number;
}

/** The estimate for a session policy (its minified JSON) with the tags it will be issued with. */
export function estimatePackedSize(policyJson: string, tags: Record<string, string>): PackedSizeEstimate {
  const policyChars = charCount(policyJson);
  const tagChars = Object.entries(tags).reduce((sum, [k, v]) => sum + charCount(k) + charCount(v), 0);
  return { policyChars, tagChars, total: policyChars + tagChars, budget: PACKED_SIZE_BUDGET };
}

/** The estimate before the request id exists: a placeholder of the longest id jitvend issues. */
export function estimatePackedSizeForRequest(
  policyJson: string,
  input: Omit<SessionTagInput, 'requestId'>,
): PackedSizeEstimate {
  return estimatePackedSize(
    policyJson,
    sessionTagsFor({ ...input, requestId: 'x'.repeat(REQUEST_ID_CHARS) }),
  );
}
