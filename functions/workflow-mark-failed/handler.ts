import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { stepOnAws, type UseCaseDeps } from '../runtime.ts';

/**
 * Workflow step MarkFailed: records why the request failed (the caught {Error, Cause}).
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export function makeMarkFailedHandler(deps: UseCaseDeps<typeof workflowSteps>): WorkflowSteps['markFailed'] {
  return workflowSteps(deps).markFailed;
}

export const handler = stepOnAws(makeMarkFailedHandler);
