/**
 * Approval reuse when the approval comes after the jobs asked (`approval.reuse: sameRun`): the
 * jobs of a matrix start together, so they all ask before anyone decides. Once people have
 * approved one of them and it is issued, the requests of the same run still waiting for
 * people that it covers (shared/domain/reuse.ts, the same rule as at create) are approved by
 * it: each with the same audit event as a reuse at create, its waiting workflow resumed, its
 * window ending with the original's at the latest. Called by the workflow's issue step.
 */
import type { DepsWith } from '../deps.ts';
import type { RequestRepository } from '../ports.ts';
import { reuseRefusal, runKey } from '../reuse.ts';
import type { AccessRequest } from '../types.ts';
import { type ResumeWorkflowDeps, resumeWorkflow } from './resume-workflow.ts';
import { reuseApproval, tellReuse } from './reuse-approval.ts';
import { updateRequest } from './update-request.ts';

export type ApproveRunDeps = ResumeWorkflowDeps &
  DepsWith<'notifier' | 'config', Pick<RequestRepository, 'listRun' | 'get' | 'commit'>>;

/** Approves, by reuse of `original` (just issued), the waiting requests of its run it covers; returns their ids. */
export async function approveRunByReuse(deps: ApproveRunDeps, original: AccessRequest): Promise<string[]> {
  if (deps.config.profiles[original.profile]?.approval.reuse !== 'sameRun') return [];
  if (original.status !== 'issued' || original.approvalRoute.kind !== 'human' || original.reuseOf) return [];
  const run = runKey(original.profile, original.requesterIssuer, original.requesterClaims);
  if (run === undefined) return [];
  const inRun = await deps.store.listRun(run);
  const approved: string[] = [];
  for (const waiting of inRun) {
    if (waiting.id === original.id || waiting.status !== 'pending_approval') continue;
    const next = await updateRequest<AccessRequest | undefined>(deps, {
      id: waiting.id,
      known: { request: waiting },
      decide: ({ request }) => {
        if (
          request.status !== 'pending_approval' ||
          covers(original, request, deps.clock.now()) !== undefined
        ) {
          return { answer: undefined };
        }
        const change = reuseApproval(request, original, deps.clock.now().toISOString());
        return {
          change: {
            ...change,
            patch: {
              reuseOf: original.id,
              ...(original.windowEndsAt ? { windowEndsAt: original.windowEndsAt } : {}),
            },
          },
          done: (changed) => changed,
        };
      },
    });
    if (!next) continue;
    await resumeWorkflow(deps, next, 'approved');
    approved.push(next.id);
    // the jobs it now covers: itself, those it approved at their create, and those approved here
    const jobs = 1 + inRun.filter((r) => r.reuseOf === original.id).length + approved.length;
    await tellReuse(deps, original, next, jobs);
  }
  return approved;
}

/** Why `original` does not approve `request` (the create-time rule, on the stored request). */
function covers(original: AccessRequest, request: AccessRequest, now: Date): string | undefined {
  if (request.approvalRoute.kind !== 'human') return 'not waiting for people';
  return reuseRefusal(
    {
      profile: request.profile,
      issuer: request.requesterIssuer,
      requesterClaims: request.requesterClaims,
      permissions: request.permissions,
      windowSeconds: request.windowSeconds ?? request.durationSeconds,
    },
    original,
    now,
  );
}
