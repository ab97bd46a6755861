import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { getRuntime } from '../runtime.ts';

/**
 * Workflow step Expire: the STS session has expired (and a revocation deny can be released).
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export async function handler(
  input: Parameters<WorkflowSteps['expire']>[0],
): ReturnType<WorkflowSteps['expire']> {
  return workflowSteps(await getRuntime()).expire(input);
}
