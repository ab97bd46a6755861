/**
 * The approval workflow's Task states and the step handler each runs, as functions/routes.ts
 * is for the HTTP routes. The CDK stack builds one function per step from `handler`
 * (infra/constructs/jitvend.ts); the local runner binds each Task state of the definition to
 * its step through `states` (local/workflow-runner.ts), and local/stack.ts calls the handler's
 * factory (functions/handlers.ts). A test checks the table against the definition CDK deploys.
 */
import type { WorkflowStateName, WorkflowStepName } from '../shared/domain/workflow-contract.ts';

interface StepSpec {
  /** folder under functions/ holding handler.ts */
  handler: string;
  /** the Task states of the workflow definition that invoke this step */
  states: readonly WorkflowStateName[];
}

export const STEPS: Readonly<Record<WorkflowStepName, StepSpec>> = {
  evaluate: { handler: 'workflow-evaluate', states: ['Evaluate'] },
  awaitApproval: { handler: 'workflow-await-approval', states: ['AwaitApproval'] },
  issue: { handler: 'workflow-issue', states: ['IssueCredentials'] },
  markFailed: { handler: 'workflow-mark-failed', states: ['MarkFailed'] },
  markTimedOut: { handler: 'workflow-mark-timed-out', states: ['MarkTimedOut'] },
  expire: { handler: 'workflow-expire', states: ['Expire'] },
};

/** The step a Task state runs, by the table; undefined for a state the table does not name. */
export function stepOfState(state: string): WorkflowStepName | undefined {
  for (const [step, spec] of Object.entries(STEPS) as [WorkflowStepName, StepSpec][]) {
    if ((spec.states as readonly string[]).includes(state)) return step;
  }
  return undefined;
}
