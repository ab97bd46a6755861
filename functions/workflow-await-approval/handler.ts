import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime } from '../runtime.ts';

/**
 * Workflow step AwaitApproval (.waitForTaskToken): stores the task token server-side and notifies the approvers.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export async function handler(
  input: Parameters<WorkflowSteps['awaitApproval']>[0],
): ReturnType<WorkflowSteps['awaitApproval']> {
  return workflowSteps(await getRuntime()).awaitApproval(input);
}
