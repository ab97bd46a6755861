import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime } from '../runtime.ts';

/**
 * Workflow step MarkTimedOut: no decision before the approval deadline.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export async function handler(
  input: Parameters<WorkflowSteps['markTimedOut']>[0],
): ReturnType<WorkflowSteps['markTimedOut']> {
  return workflowSteps(await getRuntime()).markTimedOut(input);
}
