import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { stepOnAws, type UseCaseDeps } from '../runtime.ts';

/**
 * Workflow step MarkTimedOut: no decision before the approval deadline.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export function makeMarkTimedOutHandler(
  deps: UseCaseDeps<typeof workflowSteps>,
): WorkflowSteps['markTimedOut'] {
  return workflowSteps(deps).markTimedOut;
}

export const handler = stepOnAws(makeMarkTimedOutHandler);
