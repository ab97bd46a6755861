import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { stepOnAws, type UseCaseDeps } from '../runtime.ts';

/**
 * Workflow step Expire: the STS session has expired (and a revocation deny can be released).
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export function makeExpireHandler(deps: UseCaseDeps<typeof workflowSteps>): WorkflowSteps['expire'] {
  return workflowSteps(deps).expire;
}

export const handler = stepOnAws(makeExpireHandler);
