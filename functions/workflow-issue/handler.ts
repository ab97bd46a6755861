import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { stepOnAws, type UseCaseDeps } from '../runtime.ts';

/**
 * Workflow step IssueCredentials: AssumeRole with the session policy. IssueThrottledError propagates (named) for the Retry.
 * Errors propagate unwrapped: Step Functions matches their `name` in Retry and Catch.
 */
export function makeIssueHandler(deps: UseCaseDeps<typeof workflowSteps>): WorkflowSteps['issue'] {
  return workflowSteps(deps).issue;
}

/**
 * Its notifier carries the Slack channel: once issued, a request people approved approves by
 * reuse the waiting jobs of its run, and its approvers learn how many it covers.
 */
export const handler = stepOnAws(makeIssueHandler, {
  channels: () => import('../approval-channels.ts').then((m) => m.awsSlackChannel),
});
