/**
 * Approval reuse inside one CI run (`approval.reuse: sameRun`, SPEC.md "Approval reuse").
 *
 * A new request is approved without people by an earlier one when all of these hold:
 * - the same profile, and the profile allows reuse;
 * - the same token issuer: identity is issuer + subject, and another issuer's claims are its
 *   own (a `repository` and `run_id` from another issuer name nothing of this run);
 * - the same repository (`repository`, GitLab `project_path`) and the same run (`run_id`,
 *   GitLab `pipeline_id`): a re-run of the run (a new `run_attempt`) is the same run;
 * - the earlier request was approved by people (not by a rule, not itself by reuse), and is
 *   still issued (not released, revoked or expired) with its window not yet ended;
 * - the new request's permissions lie inside the earlier one's session policy, decided by
 *   the same exact containment as the guardrails;
 * - the new request asks for a window no longer than the one people approved, and the earlier
 *   request's window has at least one session (STS's 15 minutes) left: the new request's window
 *   then ends with the earlier one's at the latest (`windowEndsAt` set at create, a cap the
 *   issue honours), so it ends no later, whenever it was asked for.
 *
 * Pure: the create use case finds the candidates and applies `reuseDecision` to each.
 */
import { sha256Hex } from './audit.ts';
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

/**
 * The key a request of `profile` joins its run under (the store keeps each run's requests, so
 * a later job finds what people approved earlier in the run): a digest of the profile, the
 * repository and the run, or undefined when the token names no run.
 */
export function runKey(
  profile: string,
  issuer: string | undefined,
  claims: Record<string, string>,
): string | undefined {
  const run = runOf(claims);
  return run && issuer ? sha256Hex(`${profile}\n${issuer}\n${run.repository}\n${run.run}`) : undefined;
}

export interface ReuseCandidate {
  profile: string;
  /** the token's issuer */
  issuer: string | undefined;
  requesterClaims: Record<string, string>;
  permissions: readonly Permission[];
  windowSeconds: number;
}

export type ReusableRequest = Pick<
  AccessRequest,
  'id' | 'profile' | 'status' | 'requesterClaims' | 'approvalRoute' | 'sessionPolicy' | 'durationSeconds'
> & {
  requesterIssuer?: string;
  windowSeconds?: number;
  windowEndsAt?: string;
  expiresAt?: string;
  reuseOf?: string;
};

/** STS's shortest session: a window with less left cannot hold one more session. */
const MIN_SESSION_MS = 900_000;

/** Why an earlier request does not approve this one (undefined: it does). */
export function reuseRefusal(
  candidate: ReuseCandidate,
  original: ReusableRequest,
  now: Date,
): string | undefined {
  if (original.profile !== candidate.profile) return 'another profile';
  if (!candidate.issuer || original.requesterIssuer !== candidate.issuer) return 'another token issuer';
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
  if (candidate.windowSeconds > (original.windowSeconds ?? original.durationSeconds))
    return 'asks for a longer window than people approved';
  if (new Date(windowEnd).getTime() - now.getTime() < MIN_SESSION_MS)
    return 'its window ends in less than one session (15 minutes)';
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
