/**
 * What an approval by reuse writes and says (`approval.reuse: sameRun`, shared/domain/reuse.ts),
 * the same whether it is given at create (create-request.ts) or when the approved request is
 * issued (approve-run.ts).
 */
import type { Deps } from '../deps.ts';
import type { Change } from '../transition.ts';
import type { AccessRequest } from '../types.ts';

/** The people who approved `original` (their names, in the order they decided). */
function approvedBy(original: AccessRequest): string[] {
  return original.approvals.filter((a) => a.decision === 'approve').map((a) => a.person);
}

/**
 * The approval reuse gives (`approval.reuse: sameRun`, shared/domain/reuse.ts): approved, like
 * by an auto-approve rule, by `original`, an earlier request of the same CI run that
 * people approved and that is still issued. The event names it, and who approved it.
 */
export function reuseApproval(request: AccessRequest, original: AccessRequest, at: string): Change {
  const approvers = approvedBy(original);
  return {
    to: 'approved',
    event: {
      type: 'request_approved',
      actor: `reuse:${original.id}`,
      channel: 'rule',
      at,
      sessionPolicyHash: request.sessionPolicyHash,
      detail: {
        reuseOf: original.id,
        approvedBy: approvers,
        why: `approval reuse (sameRun) of profile ${request.profile}: request ${original.id} of the same run, approved by ${approvers.join(', ') || 'people'} and issued until ${original.windowEndsAt}, holds this request's permissions and window`,
      },
    },
  };
}

/**
 * Tells the people who approved `original` that it approved `request` too, and how many jobs of
 * the run it now covers. Never fails the caller (the request is stored): a channel's failure is
 * the notifier's to log.
 */
export async function tellReuse(
  deps: Pick<Deps, 'config' | 'notifier'>,
  original: AccessRequest,
  request: AccessRequest,
  jobs: number,
): Promise<void> {
  const approvers = approvedBy(original).flatMap((name) => deps.config.people[name] ?? []);
  await deps.notifier.approvalReused?.(original, request, jobs, approvers).catch(() => undefined);
}
