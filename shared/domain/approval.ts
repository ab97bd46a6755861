import type { AutoApproveRule, JitvendConfig, Profile } from './profile.ts';
import { matchesClaims } from './requesters.ts';
import type { ApprovalRoute } from './types.ts';

/** The people who may approve a profile's requests (groups expanded), sorted. */
export function approverPeople(
  config: { groups: JitvendConfig['groups']; people: Record<string, unknown> },
  profile: Profile,
): string[] {
  const out = new Set<string>();
  for (const entry of profile.approval.approvers) {
    const members = config.groups[entry];
    if (members) for (const m of members) out.add(m);
    else if (config.people[entry]) out.add(entry);
  }
  return [...out].sort();
}

export interface RouteFacts {
  claims: Record<string, unknown>;
  durationSeconds: number;
  /** every requested action is Read or List in the IAM catalogue */
  readOnly: boolean;
}

/** A rule holds when every condition it states holds. */
export function ruleHolds(rule: AutoApproveRule, facts: RouteFacts): boolean {
  if (rule.readOnly === true && !facts.readOnly) return false;
  if (rule.readOnly === false && facts.readOnly) return false;
  if (rule.claims && !matchesClaims(rule.claims, facts.claims)) return false;
  if (rule.maxDurationSeconds !== undefined && facts.durationSeconds > rule.maxDurationSeconds) return false;
  return true;
}

/** Auto-approved by the first rule that holds, else waits for people. */
export function approvalRouteFor(
  config: Pick<JitvendConfig, 'groups' | 'people'>,
  profile: Profile,
  facts: RouteFacts,
): ApprovalRoute {
  const rule = profile.approval.autoApprove.findIndex((r) => ruleHolds(r, facts));
  if (rule >= 0) return { kind: 'auto', rule };
  return {
    kind: 'human',
    approvers: approverPeople(config, profile),
    minApprovals: profile.approval.minApprovals,
  };
}
