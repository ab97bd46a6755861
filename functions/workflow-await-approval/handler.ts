import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime, setRuntimeFactory } from '../runtime.ts';

/** This step alone notifies approvers: its runtime carries the Slack and email channels. */
setRuntimeFactory(() =>
  Promise.all([import('../aws-runtime.ts'), import('../approval-channels.ts')]).then(([aws, channels]) =>
    aws.awsRuntime(process.env, { channels: channels.awsApprovalChannels }),
  ),
);

/**
 * Workflow step AwaitApproval (.waitForTaskToken): stores the task token server-side and notifies the approvers.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 * The AWS wiring and the Slack and SES clients load on the first call, not at cold start,
 * and load again on the next call if that failed.
 */
export async function handler(
  input: Parameters<WorkflowSteps['awaitApproval']>[0],
): ReturnType<WorkflowSteps['awaitApproval']> {
  return workflowSteps(await getRuntime()).awaitApproval(input);
}
