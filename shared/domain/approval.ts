import type { AutoApproveRule, JitvendConfig, Profile } from './profile.ts';
import { matchesClaims } from './requesters.ts';
import type { AccessRequest, ApprovalRoute } from './types.ts';

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
  /** how long the approval lasts (the window of renewed sessions); default durationSeconds */
  windowSeconds?: number;
  /** every requested action is Read or List in the IAM catalogue */
  readOnly: boolean;
}

/** A rule holds when every condition it states holds. */
export function ruleHolds(rule: AutoApproveRule, facts: RouteFacts): boolean {
  if (rule.readOnly === true && !facts.readOnly) return false;
  if (rule.readOnly === false && facts.readOnly) return false;
  if (rule.claims && !matchesClaims(rule.claims, facts.claims)) return false;
  // a rule's maxDurationSeconds bounds how long access lasts without people: the window too
  const lasts = Math.max(facts.durationSeconds, facts.windowSeconds ?? facts.durationSeconds);
  if (rule.maxDurationSeconds !== undefined && lasts > rule.maxDurationSeconds) return false;
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

export type RefusalCode =
  | 'not_pending'
  | 'too_late'
  | 'unknown_person'
  | 'not_approver'
  | 'initiator'
  | 'requester'
  | 'duplicate'
  | 'auto';

export type Verdict =
  | { kind: 'refused'; code: RefusalCode; why: string }
  | { kind: 'deny' }
  | { kind: 'approve'; final: boolean; remaining: number };

/**
 * The people who count as approvers of this request: the ones its route names (fixed when it
 * was created), and the profile's approvers as configured now. Anyone else deciding is an
 * outsider: answered, logged, never written to the request.
 */
export function approversOfRequest(
  config: Pick<JitvendConfig, 'groups' | 'people' | 'profiles'>,
  request: AccessRequest,
): Set<string> {
  const out = new Set<string>(request.approvalRoute.kind === 'human' ? request.approvalRoute.approvers : []);
  const profile = Object.hasOwn(config.profiles, request.profile)
    ? config.profiles[request.profile]
    : undefined;
  if (profile) for (const person of approverPeople(config, profile)) out.add(person);
  return out;
}

/**
 * The approval rules, applied to one decision attempt: only listed approvers decide, whoever
 * created the request (its principal, or the person its token named: `bySelf`) never decides
 * on it, the person who started the pipeline never approves its own run, each person counts
 * once, one deny ends it, and nothing is decided outside pending_approval or after the deadline.
 */
export function judgeDecision(
  request: AccessRequest,
  person: string | undefined,
  decision: 'approve' | 'deny',
  now: Date,
  bySelf = false,
): Verdict {
  if (request.status !== 'pending_approval') {
    return {
      kind: 'refused',
      code: 'not_pending',
      why: `request ${request.id} is already ${request.status}`,
    };
  }
  const route = request.approvalRoute;
  if (route.kind === 'auto') {
    return { kind: 'refused', code: 'auto', why: `request ${request.id} is approved by rule, not by people` };
  }
  if (now.getTime() >= new Date(request.approvalDeadline).getTime()) {
    return {
      kind: 'refused',
      code: 'too_late',
      why: `the approval deadline of request ${request.id} has passed`,
    };
  }
  if (person === undefined) {
    return { kind: 'refused', code: 'unknown_person', why: 'you are not a person in the jitvend config' };
  }
  if (!route.approvers.includes(person)) {
    return {
      kind: 'refused',
      code: 'not_approver',
      why: `${person} is not an approver of profile ${request.profile}`,
    };
  }
  if (bySelf || (request.requesterPerson !== undefined && person === request.requesterPerson)) {
    return {
      kind: 'refused',
      code: 'requester',
      why: `${person} created request ${request.id} and cannot decide on it: another approver must`,
    };
  }
  if (decision === 'deny') return { kind: 'deny' };
  if (person === request.initiator) {
    return {
      kind: 'refused',
      code: 'initiator',
      why: `${person} started this pipeline and cannot approve its own request: another approver must`,
    };
  }
  const approvedBy = new Set(request.approvals.filter((a) => a.decision === 'approve').map((a) => a.person));
  if (approvedBy.has(person)) {
    return {
      kind: 'refused',
      code: 'duplicate',
      why: `${person} has already approved request ${request.id}`,
    };
  }
  const remaining = Math.max(0, route.minApprovals - approvedBy.size - 1);
  return { kind: 'approve', final: remaining === 0, remaining };
}
