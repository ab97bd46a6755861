import type { DepsWith } from '../deps.ts';
import type { RequestRepository, TaskTokenStore } from '../ports.ts';
import type { AccessRequest } from '../types.ts';
import type { ApprovalDecision } from '../workflow-contract.ts';
import { changeIf } from './update-request.ts';

export type ResumeWorkflowDeps = DepsWith<
  'config' | 'callback' | 'clock',
  Pick<RequestRepository, 'get' | 'commit'> & Pick<TaskTokenStore, 'takeTaskToken'>
>;

/**
 * Hands the outcome of the approval (a decision, or a cancellation) to the waiting
 * AwaitApproval task. When no token is stored yet, the task has not started waiting: it
 * re-reads the request after storing its token and resumes itself (see workflow-steps.ts
 * awaitApproval). Both paths take the token atomically, so exactly one of them resumes the task.
 */
export async function resumeWorkflow(
  deps: ResumeWorkflowDeps,
  request: AccessRequest,
  decision: ApprovalDecision,
): Promise<void> {
  // whoever takes the token resumes the task: never two senders (then a `false` below
  // can only mean the task stopped waiting, not that someone else resumed it)
  const token = await deps.store.takeTaskToken(request.id);
  if (token === undefined) return;
  const resumed = await deps.callback.sendTaskSuccess(token, { decision });
  if (!resumed && decision === 'approved') {
    // the task stopped waiting (it timed out) just as the approval landed: end cleanly, never half-approved
    await changeIf(deps, request.id, ['approved'], () => ({
      to: 'failed',
      patch: { statusReason: 'the approval arrived as the request timed out; ask again' },
      event: {
        type: 'request_failed',
        actor: 'jitvend',
        channel: 'workflow',
        at: deps.clock.now().toISOString(),
      },
    }));
  }
}
