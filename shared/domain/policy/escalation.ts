/**
 * Privilege-escalation actions: actions that let a session change who may do what (IAM,
 * Organizations, Identity Center, account settings) or mint other credentials (role chaining,
 * federation, Roles Anywhere). A request may only get them when the profile names them literally
 * in its guardrails, or when the profile sets `allowEscalation: true`.
 *
 * Patterns, compared case-insensitively. `iam:*` includes `iam:PassRole`, which is how most
 * "create a compute resource that runs as another role" escalations are gated.
 */
import { findCommon, hasWildcard } from './glob.ts';

export const ESCALATION_ACTION_PATTERNS: readonly string[] = [
  'iam:*',
  'sts:AssumeRole*', // AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity
  'sts:AssumeRoot',
  'sts:GetFederationToken',
  'sts:GetSessionToken',
  'sts:GetDelegatedAccessToken',
  'sts:GetWebIdentityToken',
  'organizations:*',
  'account:*',
  'sso:*',
  'sso-directory:*',
  'sso-oauth:*',
  'identitystore:*',
  'identitystore-auth:*',
  'identity-sync:*',
  'rolesanywhere:*',
  'signin:*',
];

const matched = new Map<string, string | null>();

/** A concrete escalation action the action pattern can match (lower case), if any. */
export function escalationMatchedBy(actionPattern: string): string | undefined {
  const key = actionPattern.toLowerCase();
  let found = matched.get(key);
  if (found === undefined) {
    if (matched.size >= 10_000) matched.clear();
    found = findCommon([key], { caseInsensitive: true, anyOf: ESCALATION_ACTION_PATTERNS }) ?? null;
    matched.set(key, found);
  }
  return found ?? undefined;
}

/** Does a guardrail action pattern name an action explicitly (no wildcard)? */
export function isLiteralAction(actionPattern: string): boolean {
  return !hasWildcard(actionPattern);
}
