/**
 * Runs the synthesized workflow definition (the one CDK deploys) on the in-process local
 * stack with the real steps (DynamoDB Local, the STS and IAM stand-ins), each step wrapped
 * so a test can make it fail the way AWS does: Lambda throttling as Step Functions reports
 * it (`Lambda.TooManyRequestsException`), or any error. Every retry pause and Wait is
 * shortened; the stack's clock jumps past a session's expiry (and its deny's grace) when
 * Expire runs, so a whole life runs in a second.
 */
import { localWorkflowDefinition } from '../../infra/workflow-definition.ts';
import type { LocalStack } from '../../local/stack.ts';
import { LocalWorkflowRunner } from '../../local/workflow-runner.ts';
import { denyUntil } from '../../shared/domain/revocation.ts';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowStepName, WorkflowSteps } from '../../shared/domain/workflow-contract.ts';

/** Lambda throttling, named as Step Functions names it for Retry and Catch. */
export function lambdaThrottle(): Error {
  const error = new Error('Rate Exceeded.');
  error.name = 'Lambda.TooManyRequestsException';
  return error;
}

/**
 * A failure plan per step: on the given 1-based attempt, an error to throw instead of running
 * the step, `{after: error}` to run the step and then throw (its answer lost, as when Lambda
 * times out after the work was done), or undefined to run the step.
 */
export type FailurePlan = Partial<
  Record<WorkflowStepName, (attempt: number) => Error | { after: Error } | undefined>
>;

export interface ChaosClock {
  now(): Date;
  offsetMs: number;
}

export function offsetClock(): ChaosClock {
  const clock = {
    offsetMs: 0,
    now: () => new Date(Date.now() + clock.offsetMs),
  };
  return clock;
}

const definition = localWorkflowDefinition();
const NO_PAUSES = Object.fromEntries(
  Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => [name, 0]),
);
const SHORT_WAITS = Object.fromEntries(
  Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Wait')
    .map(([name]) => [name, 1]),
);

/**
 * Installs a runner of the deployed definition with `plan` on the stack (its runtime's
 * workflow and callback). Returns it and the calls made to each step (attempts included).
 */
export function installChaosWorkflow(stack: LocalStack, clock: ChaosClock, plan: () => FailurePlan) {
  const real = workflowSteps(stack.runtime);
  const attempts = new Map<string, number>();
  const calls: { step: WorkflowStepName; requestId: string; failed: boolean }[] = [];
  const steps = {} as Record<WorkflowStepName, (input: { requestId: string }) => Promise<unknown>>;
  for (const step of Object.keys(real) as WorkflowStepName[]) {
    steps[step] = async (input) => {
      const key = `${input.requestId}:${step}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const planned = plan()[step]?.(attempt);
      calls.push({ step, requestId: input.requestId, failed: planned !== undefined });
      if (planned instanceof Error) throw planned;
      if (step === 'expire') {
        // time flies to the end of the session's deny: Expire then has nothing left to wait for
        const request = await stack.runtime.store.get(input.requestId);
        if (request?.expiresAt) {
          const end = new Date(denyUntil(request.expiresAt)).getTime() + 1000;
          clock.offsetMs = Math.max(clock.offsetMs, end - Date.now());
        }
      }
      const output = await (real[step] as (i: unknown) => Promise<unknown>)(input);
      if (planned) throw planned.after;
      return output;
    };
  }
  const runner = new LocalWorkflowRunner({
    definition: localWorkflowDefinition(),
    steps: steps as unknown as WorkflowSteps,
    retryIntervalOverrides: NO_PAUSES,
    waitTimeOverrides: SHORT_WAITS,
    clock,
    logger: { warn: () => {}, error: () => {} },
  });
  stack.runtime.workflow = runner;
  stack.runtime.callback = runner;
  return { runner, calls };
}
