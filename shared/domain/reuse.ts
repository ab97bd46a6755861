/**
 * Approval reuse inside one CI run (`approval.reuse: sameRun`, SPEC.md "Approval reuse").
 *
 * A new request is approved without people by an earlier one when all of these hold:
 * - the same profile, and the profile allows reuse;
 * - the same repository (`repository`, GitLab `project_path`) and the same run (`run_id`,
 *   GitLab `pipeline_id`): a re-run of the run (a new `run_attempt`) is the same run;
 * - the earlier request was approved by people (not by a rule, not itself by reuse), and is
 *   still issued (not released, revoked or expired) with its window not yet ended;
 * - the new request's permissions lie inside the earlier one's session policy, decided by
 *   the same exact containment as the guardrails;
 * - the new request's window, counted from now, ends no later than the earlier one's.
 *
 * Pure: the create use case finds the candidates and applies `reuseDecision` to each.
 */
import { buildSessionPolicy } from './policy/builder.ts';
import type { AccessRequest, Permission } from './types.ts';

/** The claim naming the repository, per CI: GitHub Actions, then GitLab. */
const REPOSITORY_CLAIMS = ['repository', 'project_path'] as const;
/** The claim naming the run, per CI: GitHub Actions, then GitLab. */
const RUN_CLAIMS = ['run_id', 'pipeline_id'] as const;

/** Which run a request belongs to: its repository and run id, when its token named both. */
export function runOf(claims: Record<string, string>): { repository: string; run: string } | undefined {
  const repository = REPOSITORY_CLAIMS.map((c) => claims[c]).find((v) => v !== undefined && v !== '');
  const run = RUN_CLAIMS.map((c) => claims[c]).find((v) => v !== undefined && v !== '');
  return repository && run ? { repository, run } : undefined;
}

export interface ReuseCandidate {
  profile: string;
  requesterClaims: Record<string, string>;
  permissions: readonly Permission[];
  windowSeconds: number;
}

export type ReusableRequest = Pick<
  AccessRequest,
  'id' | 'profile' | 'status' | 'requesterClaims' | 'approvalRoute' | 'sessionPolicy'
> & { windowEndsAt?: string; expiresAt?: string; reuseOf?: string };

/** Why an earlier request does not approve this one (undefined: it does). */
export function reuseRefusal(
  candidate: ReuseCandidate,
  original: ReusableRequest,
  now: Date,
): string | undefined {
  if (original.profile !== candidate.profile) return 'another profile';
  const mine = runOf(candidate.requesterClaims);
  const theirs = runOf(original.requesterClaims);
  if (!mine || !theirs) return 'no repository and run in the token';
  if (mine.repository !== theirs.repository) return 'another repository';
  if (mine.run !== theirs.run) return 'another run';
  if (original.approvalRoute.kind !== 'human' || original.reuseOf !== undefined)
    return 'not approved by people';
  if (original.status !== 'issued') return `it is ${original.status}`;
  const windowEnd = original.windowEndsAt ?? original.expiresAt;
  if (!windowEnd || new Date(windowEnd).getTime() <= now.getTime()) return 'its window has ended';
  if (now.getTime() + candidate.windowSeconds * 1000 > new Date(windowEnd).getTime())
    return 'the new window would end after its window';
  if (!contains(original, candidate.permissions)) return 'asks for more than it was approved for';
  return undefined;
}

/** The earliest-created request of `originals` that approves the candidate, if any. */
export function reusableOriginal<T extends ReusableRequest>(
  candidate: ReuseCandidate,
  originals: readonly T[],
  now: Date,
): T | undefined {
  return originals.find((original) => reuseRefusal(candidate, original, now) === undefined);
}

/** Exact containment: every (action, resource) pair of `permissions` inside the original's session policy. */
function contains(original: ReusableRequest, permissions: readonly Permission[]): boolean {
  const allow: Permission[] = original.sessionPolicy.Statement.map((s) => ({
    actions: Array.isArray(s.Action) ? [...s.Action] : [s.Action],
    resources: Array.isArray(s.Resource) ? [...s.Resource] : [s.Resource],
  }));
  try {
    // escalation was already judged against the real profile when the original was created
    buildSessionPolicy({ name: `reuse of ${original.id}`, allow, allowEscalation: true }, permissions);
    return true;
  } catch {
    return false;
  }
}
