import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime } from '../runtime.ts';

/**
 * Workflow step Evaluate: applies the auto-approve rules and says where the request goes.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export async function handler(
  input: Parameters<WorkflowSteps['evaluate']>[0],
): ReturnType<WorkflowSteps['evaluate']> {
  return workflowSteps(await getRuntime()).evaluate(input);
}
