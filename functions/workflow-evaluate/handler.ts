import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { stepOnAws, type UseCaseDeps } from '../runtime.ts';

/**
 * Workflow step Evaluate: applies the auto-approve rules and says where the request goes.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export function makeEvaluateHandler(deps: UseCaseDeps<typeof workflowSteps>): WorkflowSteps['evaluate'] {
  return workflowSteps(deps).evaluate;
}

export const handler = stepOnAws(makeEvaluateHandler);
