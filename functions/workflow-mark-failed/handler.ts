import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime } from '../runtime.ts';

/**
 * Workflow step MarkFailed: records why the request failed (the caught {Error, Cause}).
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export async function handler(
  input: Parameters<WorkflowSteps['markFailed']>[0],
): ReturnType<WorkflowSteps['markFailed']> {
  return workflowSteps(await getRuntime()).markFailed(input);
}
