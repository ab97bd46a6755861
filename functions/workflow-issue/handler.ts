import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime } from '../runtime.ts';

/**
 * Workflow step IssueCredentials: AssumeRole with the session policy. IssueThrottledError propagates (named) for the Retry.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export async function handler(
  input: Parameters<WorkflowSteps['issue']>[0],
): ReturnType<WorkflowSteps['issue']> {
  return workflowSteps(await getRuntime()).issue(input);
}
