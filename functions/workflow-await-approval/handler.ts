import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { stepOnAws, type UseCaseDeps } from '../runtime.ts';

/**
 * Workflow step AwaitApproval (.waitForTaskToken): stores the task token server-side and notifies the approvers.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 * On AWS this step alone notifies approvers: its runtime carries the Slack and email channels,
 * whose clients load with the wiring on the first call, and load again on the next call if that failed.
 */
export function makeAwaitApprovalHandler(
  deps: UseCaseDeps<typeof workflowSteps>,
): WorkflowSteps['awaitApproval'] {
  return workflowSteps(deps).awaitApproval;
}

export const handler = stepOnAws(makeAwaitApprovalHandler, {
  channels: () => import('../approval-channels.ts').then((m) => m.awsApprovalChannels),
});
