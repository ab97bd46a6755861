/**
 * The approval workflow's definition (the one CDK deploys) run on the in-process local stack
 * with the real steps and virtual time: the stack's clock stands still unless a test moves it,
 * every Wait is shortened, and when Expire runs the clock jumps to the instant the definition
 * waited for (`$.issue.windowEndsAt`, then `$.expiry.nextAt`), as Step Functions would wake
 * it. The issue step holds after issuing (its request already issued) until the test opens
 * its gate, so a test can act inside the approval window: deliver, renew, revoke, release.
 */
import { afterAll, beforeAll } from 'vitest';
import { localWorkflowDefinition } from '../../infra/workflow-definition.ts';
import type { LocalStack } from '../../local/stack.ts';
import { LocalWorkflowRunner } from '../../local/workflow-runner.ts';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import type { WorkflowSteps } from '../../shared/domain/workflow-contract.ts';
import { type StackHandle, useLocalStack } from './in-process-stack.ts';

/** A clock that stands still until moved: every instant a test asserts is exact. */
export interface StillClock {
  ms: number;
  now(): Date;
}

function stillClock(start = Date.now()): StillClock {
  const clock: StillClock = { ms: start, now: () => new Date(clock.ms) };
  return clock;
}

export interface VirtualTimeWorkflow {
  runner: LocalWorkflowRunner;
  /** each Expire run: the request, the clock when it ran, and the nextAt it asked for */
  expireCalls: Array<{ requestId: string; at: string; nextAt?: string }>;
  /** resolves once the request's issue step holds (its request is issued) */
  issued(requestId: string): Promise<void>;
  /** lets the request's workflow go on to its window's end */
  release(requestId: string): void;
  stop(): Promise<void>;
}

function installVirtualTimeWorkflow(stack: LocalStack, clock: StillClock): VirtualTimeWorkflow {
  const real = workflowSteps(stack.runtime);
  const definition = localWorkflowDefinition();
  const statesOf = (type: string) =>
    Object.entries(definition.States)
      .filter(([, state]) => state.Type === type)
      .map(([name]) => name);
  const wakeAt = new Map<string, string | undefined>();
  const gates = new Map<string, () => void>();
  const holding = new Map<string, () => void>();
  const held = new Map<string, Promise<void>>();
  const heldFor = (id: string) => {
    let promise = held.get(id);
    if (!promise) {
      promise = new Promise<void>((resolve) => holding.set(id, resolve));
      held.set(id, promise);
    }
    return promise;
  };
  const expireCalls: VirtualTimeWorkflow['expireCalls'] = [];
  const steps: WorkflowSteps = {
    ...real,
    async issue(input) {
      const out = await real.issue(input);
      wakeAt.set(input.requestId, out.windowEndsAt);
      const opened = new Promise<void>((resolve) => gates.set(input.requestId, resolve));
      heldFor(input.requestId);
      holding.get(input.requestId)?.();
      await opened;
      return out;
    },
    async expire(input) {
      const at = wakeAt.get(input.requestId);
      if (at) clock.ms = Math.max(clock.ms, Date.parse(at));
      const out = await real.expire(input);
      expireCalls.push({ requestId: input.requestId, at: clock.now().toISOString(), ...out });
      wakeAt.set(input.requestId, out.nextAt);
      return out;
    },
  };
  const runner = new LocalWorkflowRunner({
    definition,
    steps,
    waitTimeOverrides: Object.fromEntries(statesOf('Wait').map((name) => [name, 1])),
    retryIntervalOverrides: Object.fromEntries(statesOf('Task').map((name) => [name, 0])),
    clock,
    logger: { warn: () => {}, error: () => {} },
  });
  stack.runtime.workflow = runner;
  stack.runtime.callback = runner;
  return {
    runner,
    expireCalls,
    issued: (id) => heldFor(id),
    release: (id) => gates.get(id)?.(),
    async stop() {
      for (const open of gates.values()) open();
      await runner.stop();
    },
  };
}

/**
 * One in-process local stack for the test file on a still clock, its workflow run on virtual
 * time (installed in beforeAll, stopped in afterAll before the stack).
 */
export function useVirtualTimeStack(): {
  ctx: StackHandle;
  clock: StillClock;
  workflow: () => VirtualTimeWorkflow;
} {
  const clock = stillClock();
  const ctx = useLocalStack({ clock });
  let workflow: VirtualTimeWorkflow | undefined;
  beforeAll(() => {
    workflow = installVirtualTimeWorkflow(ctx.stack, clock);
  });
  afterAll(async () => {
    await workflow?.stop();
  });
  return {
    ctx,
    clock,
    workflow: () => {
      if (!workflow) throw new Error('the virtual-time workflow is installed in beforeAll');
      return workflow;
    },
  };
}
