/**
 * The revocation deny: one inline policy per revoked (or released) request on the target
 * role, named after the request (`jitvend-revoke-<requestId>`), holding one Deny matched
 * exactly on the session's `aws:SourceIdentity` and bounded by `aws:CurrentTime`. One
 * policy per request means no read-modify-write: two revocations racing each write their
 * own policy and neither can lose the other.
 *
 * IAM counts every inline policy of a role against one budget: "Role policy size cannot
 * exceed 10,240 characters" for the aggregate of all inline policies, whitespace not counted
 * (IAM User Guide, "IAM and AWS STS quotas"). The budget is counted over all of the role's
 * inline policies (the guardrails beside ours) before a deny is written, and refused with
 * RevocationLimitError while jitvend still holds a reserve, never by IAM halfway.
 *
 * A deny lasts until the session's expiry plus REVOCATION_GRACE_MS (clock skew between IAM
 * and STS), rounded UP to the whole second: IAM compares `aws:CurrentTime` to a timestamp and
 * Step Functions' Wait state "considers the time value up to seconds and truncates
 * milliseconds" (Step Functions developer guide, "Wait workflow state"), so a value rounded
 * down would end the deny, or wake the workflow to remove it, up to a second early.
 *
 * Pure: the IAM adapter (shared/adapters/iam) and the local stand-in both use it.
 */
import { DomainError, ValidationError } from './errors.ts';

/** IAM's limit on the aggregate size of a role's inline policies (characters, whitespace excluded). */
export const ROLE_INLINE_POLICY_MAX_CHARS = 10_240;
/**
 * What jitvend leaves unused of that budget, so a policy someone adds by hand, or a second
 * revocation racing this one, still fits: a revocation is refused once the role's inline
 * policies would pass ROLE_INLINE_POLICY_MAX_CHARS minus this.
 */
export const ROLE_INLINE_POLICY_RESERVE_CHARS = 240;
/** How long after the session's expiry its deny is kept (clock skew between IAM and STS). */
export const REVOCATION_GRACE_MS = 5 * 60 * 1000;
/** Prefix of the per-request deny policies: `jitvend-revoke-<requestId>`. */
export const REVOCATION_POLICY_PREFIX = 'jitvend-revoke-';
/** The one shared policy of earlier versions; still read (counted, pruned when moot), never written. */
export const LEGACY_REVOCATION_POLICY_NAME = 'jitvend-revocations';

export interface DenyStatement {
  Sid?: string;
  Effect: 'Deny';
  Action: '*';
  Resource: '*';
  Condition: {
    StringEquals: { 'aws:SourceIdentity': string };
    DateLessThan: { 'aws:CurrentTime': string };
  };
}

/** The role cannot hold another deny without passing IAM's inline policy budget. */
export class RevocationLimitError extends DomainError {
  override readonly name = 'RevocationLimitError';
  readonly kind = 'conflict';
}

/** `expiresAt + grace`, rounded up to the whole second (ISO, no milliseconds). */
export function denyUntil(expiresAt: string): string {
  const ms = new Date(expiresAt).getTime();
  if (!Number.isFinite(ms)) throw new ValidationError(`not a timestamp: ${expiresAt}`);
  const until = Math.ceil((ms + REVOCATION_GRACE_MS) / 1000) * 1000;
  return new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The inline policy name of a request's deny, from its source identity `jitvend-<requestId>`. */
export function revocationPolicyName(sourceIdentity: string): string {
  const id = sourceIdentity.startsWith('jitvend-') ? sourceIdentity.slice('jitvend-'.length) : sourceIdentity;
  const safe = id.replace(/[^\w+=,.@-]/g, '_');
  if (safe === '') throw new ValidationError('a revocation needs a source identity');
  return `${REVOCATION_POLICY_PREFIX}${safe}`.slice(0, 128);
}

export function revocationStatement(sourceIdentity: string, expiresAt: string): DenyStatement {
  return {
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceIdentity': sourceIdentity },
      DateLessThan: { 'aws:CurrentTime': denyUntil(expiresAt) },
    },
  };
}

/** The whole policy document of a request's deny (compact JSON, as IAM counts it). */
export function revocationPolicyDocument(sourceIdentity: string, expiresAt: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [revocationStatement(sourceIdentity, expiresAt)],
  });
}

/** The size IAM counts for a policy document: its characters without whitespace. */
export function policySize(document: string): number {
  return document.replace(/\s/g, '').length;
}

function isDenyStatement(value: unknown): value is DenyStatement {
  const s = value as DenyStatement;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.Effect === 'Deny' &&
    typeof s.Condition?.StringEquals?.['aws:SourceIdentity'] === 'string' &&
    typeof s.Condition?.DateLessThan?.['aws:CurrentTime'] === 'string'
  );
}

function statementsOf(document: string): unknown[] {
  try {
    const doc = JSON.parse(document) as { Statement?: unknown };
    return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  } catch {
    return [];
  }
}

/**
 * When a jitvend deny policy stops denying anything: the latest `aws:CurrentTime` bound of its
 * statements. Undefined for a policy jitvend did not write (any other statement in it).
 */
export function denyEndsAt(document: string): Date | undefined {
  const statements = statementsOf(document);
  if (statements.length === 0 || !statements.every(isDenyStatement)) return undefined;
  const ends = statements.map((s) => new Date(s.Condition.DateLessThan['aws:CurrentTime']).getTime());
  const latest = Math.max(...ends);
  return Number.isFinite(latest) ? new Date(latest) : undefined;
}

/** Is this a jitvend deny policy (by name) whose every statement has lapsed at `now`? */
export function isMootRevocation(name: string, document: string, now: Date): boolean {
  if (!name.startsWith(REVOCATION_POLICY_PREFIX) && name !== LEGACY_REVOCATION_POLICY_NAME) return false;
  const ends = denyEndsAt(document);
  return ends !== undefined && ends.getTime() <= now.getTime();
}

/**
 * Refuses a deny that would take the role's inline policies past the budget.
 * `others`: the sizes of the role's other inline policies (moot denies already pruned).
 */
export function assertRevocationFits(roleName: string, others: readonly number[], added: number): void {
  const used = others.reduce((sum, size) => sum + size, 0);
  const limit = ROLE_INLINE_POLICY_MAX_CHARS - ROLE_INLINE_POLICY_RESERVE_CHARS;
  if (used + added > limit) {
    throw new RevocationLimitError(
      `role ${roleName} cannot hold another revocation: its inline policies would be ${used + added} characters, ` +
        `and IAM allows ${ROLE_INLINE_POLICY_MAX_CHARS} for all of a role's inline policies together ` +
        `(jitvend keeps ${ROLE_INLINE_POLICY_RESERVE_CHARS} in reserve). ${others.length} inline policies are on it; ` +
        'each revoked session holds one until it expires: try again after the oldest revoked session expires',
      { extra: { roleName, inlinePolicyChars: used, limit: ROLE_INLINE_POLICY_MAX_CHARS } },
    );
  }
}

/** The role name of `arn:aws:iam::123456789012:role/path/name`. */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const name = resource.split('/').pop();
  if (!resource.startsWith('role/') || !name) throw new ValidationError(`not a role ARN: ${roleArn}`);
  return name;
}
