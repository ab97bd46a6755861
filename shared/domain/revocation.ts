/**
 * The revocation deny policy: one inline policy on the target role holding a Deny for each
 * revoked session, matched exactly on `aws:SourceIdentity`. Each statement also carries the
 * time after which it is moot (the session has expired), so stale ones are pruned on every
 * change. Pure: the IAM adapter and the local stand-in both use it.
 */
import { ValidationError } from './errors.ts';

export const REVOCATION_POLICY_NAME = 'jitvend-revocations';
/** IAM's limit on the aggregate size of a role's inline policies (characters, whitespace excluded). */
export const ROLE_INLINE_POLICY_MAX_CHARS = 10_240;
/** how long after the session's expiry a statement is kept (clock skew between IAM and STS) */
const GRACE_MS = 5 * 60 * 1000;

export interface DenyStatement {
  Sid: string;
  Effect: 'Deny';
  Action: '*';
  Resource: '*';
  Condition: {
    StringEquals: { 'aws:SourceIdentity': string };
    DateLessThan: { 'aws:CurrentTime': string };
  };
}

export interface RevocationPolicy {
  Version: '2012-10-17';
  Statement: DenyStatement[];
}

/** IAM Sids are alphanumeric: `jitvend-<uuid>` becomes `RevokeJitvend<hex>`. */
export function revocationSid(sourceIdentity: string): string {
  const alnum = sourceIdentity.replace(/[^A-Za-z0-9]/g, '');
  return `Revoke${alnum.charAt(0).toUpperCase()}${alnum.slice(1)}`;
}

export function revocationStatement(sourceIdentity: string, expiresAt: string): DenyStatement {
  const until = new Date(new Date(expiresAt).getTime() + GRACE_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    Sid: revocationSid(sourceIdentity),
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceIdentity': sourceIdentity },
      DateLessThan: { 'aws:CurrentTime': until },
    },
  };
}

function isDenyStatement(value: unknown): value is DenyStatement {
  const s = value as DenyStatement;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.Sid === 'string' &&
    s.Effect === 'Deny' &&
    typeof s.Condition?.StringEquals?.['aws:SourceIdentity'] === 'string' &&
    typeof s.Condition?.DateLessThan?.['aws:CurrentTime'] === 'string'
  );
}

/** Reads a stored policy document; statements jitvend did not write are kept as they are. */
export function parseRevocationPolicy(json: string | undefined): {
  jitvend: DenyStatement[];
  other: unknown[];
} {
  if (json === undefined) return { jitvend: [], other: [] };
  const doc = JSON.parse(json) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return {
    jitvend: statements.filter(isDenyStatement),
    other: statements.filter((s) => !isDenyStatement(s)),
  };
}

function live(statements: DenyStatement[], now: Date): DenyStatement[] {
  return statements.filter(
    (s) => new Date(s.Condition.DateLessThan['aws:CurrentTime']).getTime() > now.getTime(),
  );
}

function render(jitvend: DenyStatement[], other: unknown[]): string | undefined {
  const statements = [...other, ...[...jitvend].sort((a, b) => a.Sid.localeCompare(b.Sid))];
  if (statements.length === 0) return undefined;
  const json = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  if (json.length > ROLE_INLINE_POLICY_MAX_CHARS) {
    throw new ValidationError(
      `the role's revocation policy would be ${json.length} characters, over IAM's ${ROLE_INLINE_POLICY_MAX_CHARS}: too many sessions revoked at once`,
    );
  }
  return json;
}

/** The policy with this session's deny added (replacing an older one for it) and moot ones pruned. */
export function withRevocation(current: string | undefined, statement: DenyStatement, now: Date): string {
  const { jitvend, other } = parseRevocationPolicy(current);
  const kept = live(jitvend, now).filter((s) => s.Sid !== statement.Sid);
  return render([...kept, statement], other)!;
}

/** The policy without this session's deny (and moot ones); undefined when nothing is left. */
export function withoutRevocation(
  current: string | undefined,
  sourceIdentity: string,
  now: Date,
): string | undefined {
  const { jitvend, other } = parseRevocationPolicy(current);
  const sid = revocationSid(sourceIdentity);
  return render(
    live(jitvend, now).filter((s) => s.Sid !== sid),
    other,
  );
}

/** The role name of `arn:aws:iam::123456789012:role/path/name`. */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const name = resource.split('/').pop();
  if (!resource.startsWith('role/') || !name) throw new ValidationError(`not a role ARN: ${roleArn}`);
  return name;
}
