/**
 * The synthesized workflow definition (the one CDK deploys) executed by the local runner
 * with in-memory steps. No fixed sleeps: tests await the steps' promises and idle().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { localWorkflowDefinition } from '../../infra/workflow-definition.ts';
import {
  adaptForLocalInterpreter,
  LocalWorkflowRunner,
  type LocalWorkflowRunnerOptions,
  type RunnerLogger,
} from '../../local/workflow-runner.ts';
import { IssueError } from '../../shared/domain/errors.ts';
import type { Clock } from '../../shared/domain/ports.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import type {
  AwaitApprovalInput,
  EvaluateOutput,
  WorkflowSteps,
} from '../../shared/domain/workflow-contract.ts';

type Call = { step: keyof WorkflowSteps; input: unknown };

/** In-memory steps that record their calls; `overrides` replace single steps. */
function fakeSteps(overrides: Partial<WorkflowSteps> = {}) {
  const calls: Call[] = [];
  const inHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const defaults: WorkflowSteps = {
    evaluate: async () => ({ route: 'approved', approvalTimeoutSeconds: 60 }),
    awaitApproval: async () => {},
    issue: async () => ({ issued: true, expiresAt: inHour(), windowEndsAt: inHour() }),
    markFailed: async () => ({ issued: false }),
    markTimedOut: async () => ({}),
    expire: async () => ({}),
  };
  const merged = { ...defaults, ...overrides };
  const steps = {} as Record<keyof WorkflowSteps, (input: never) => Promise<unknown>>;
  for (const step of Object.keys(merged) as (keyof WorkflowSteps)[]) {
    steps[step] = async (input: never) => {
      calls.push({ step, input });
      return (merged[step] as (i: never) => Promise<unknown>)(input);
    };
  }
  return { steps: steps as unknown as WorkflowSteps, calls, names: () => calls.map((c) => c.step) };
}

/** awaitApproval that hands its input to the test as soon as it is called. */
function capturedApproval() {
  let resolve!: (input: AwaitApprovalInput) => void;
  const promise = new Promise<AwaitApprovalInput>((r) => {
    resolve = r;
  });
  return { awaitApproval: async (input: AwaitApprovalInput) => resolve(input), approvalInput: promise };
}

const human =
  (approvalTimeoutSeconds = 60) =>
  async (): Promise<EvaluateOutput> => ({
    route: 'human',
    approvalTimeoutSeconds,
  });

const silentLogger = () => ({
  warn: vi.fn<RunnerLogger['warn']>(),
  error: vi.fn<RunnerLogger['error']>(),
});

/** Every Task retries at once (the definition's backoff is minutes for the clean-up steps). */
const NO_RETRY_PAUSES = Object.fromEntries(
  Object.entries(localWorkflowDefinition().States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => [name, 0]),
);

const runners: LocalWorkflowRunner[] = [];
function runner(steps: WorkflowSteps, options: Partial<LocalWorkflowRunnerOptions> = {}) {
  const r = new LocalWorkflowRunner({
    definition: localWorkflowDefinition(),
    steps,
    waitTimeOverrides: { WaitUntilExpiry: 5 },
    retryIntervalOverrides: NO_RETRY_PAUSES,
    logger: silentLogger(),
    ...options,
  });
  runners.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

function request(patch: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'req-1',
    profile: 'orders-it',
    requester: 'repo:acme/orders:ref:refs/heads/main',
    requesterClaims: {},
    status: 'pending_approval',
    permissions: [],
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'integration tests',
    approvals: [],
    approvalRoute: { kind: 'auto', rule: 0 },
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    approvalDeadline: '2030-01-01T00:30:00.000Z',
    version: 1,
    auditHead: 'GENESIS',
    auditCount: 1,
    ...patch,
  };
}

describe('LocalWorkflowRunner: the auto-approved path', () => {
  it('evaluates, issues, waits until expiry, then expires, in that order', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps);
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'issue', 'expire']);
    // Evaluate also gets the execution's input ($$.Execution.Input)
    expect(fake.calls.map((c) => c.input)).toEqual([
      { requestId: 'req-1', execution: { requestId: 'req-1' } },
      { requestId: 'req-1' },
      { requestId: 'req-1' },
    ]);
    expect(r.outcome('req-1')).toMatchObject({ status: 'succeeded' });
  });

  it('tells Evaluate when the request was approved at create (execution input)', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps);
    await r.start(request({ status: 'approved' }));
    await r.idle();
    expect(fake.calls[0]?.input).toEqual({
      requestId: 'req-1',
      execution: { requestId: 'req-1', approvedAtCreate: true },
    });
  });

  it('waits until $.issue.windowEndsAt (the window, not the first session) when WaitUntilExpiry is not overridden', async () => {
    let issuedAt = 0;
    let expiredAt = 0;
    const fake = fakeSteps({
      issue: async () => {
        issuedAt = Date.now();
        return {
          issued: true,
          expiresAt: new Date(issuedAt + 50).toISOString(),
          windowEndsAt: new Date(issuedAt + 300).toISOString(),
        };
      },
      expire: async () => {
        expiredAt = Date.now();
        return {};
      },
    });
    const r = runner(fake.steps, { waitTimeOverrides: {} });
    await r.start(request());
    await r.idle();
    expect(expiredAt - issuedAt).toBeGreaterThanOrEqual(250);
  });

  it('ends without expiring when nothing was issued, and does nothing for a closed request', async () => {
    const notIssued = fakeSteps({ issue: async () => ({ issued: false }) });
    const r1 = runner(notIssued.steps);
    await r1.start(request());
    const closed = fakeSteps({ evaluate: async () => ({ route: 'closed', approvalTimeoutSeconds: 1 }) });
    const r2 = runner(closed.steps);
    await r2.start(request());
    await Promise.all([r1.idle(), r2.idle()]);
    expect(notIssued.names()).toEqual(['evaluate', 'issue']);
    expect(closed.names()).toEqual(['evaluate']);
    expect(r2.outcome('req-1')).toMatchObject({ status: 'succeeded' });
  });

  it('starts one execution per request: a duplicate start is harmless', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps);
    await r.start(request());
    await r.start(request());
    await r.idle();
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'issue', 'expire']);
  });
});

describe('LocalWorkflowRunner: issuing errors', () => {
  it('retries IssueThrottledError and succeeds on the third attempt', async () => {
    let attempts = 0;
    const fake = fakeSteps({
      issue: async () => {
        attempts++;
        if (attempts <= 2) throw new IssueError('STS throttled AssumeRole', true);
        const end = new Date(Date.now() + 60_000).toISOString();
        return { issued: true, expiresAt: end, windowEndsAt: end };
      },
    });
    const r = runner(fake.steps);
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'issue', 'issue', 'issue', 'expire']);
    expect(r.outcome('req-1')).toMatchObject({ status: 'succeeded' });
  });

  it('gives up after 3 retries of throttling and marks the request failed', async () => {
    const fake = fakeSteps({
      issue: async () => {
        throw new IssueError('STS throttled AssumeRole', true);
      },
    });
    const r = runner(fake.steps);
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'issue', 'issue', 'issue', 'issue', 'markFailed']);
    expect(r.outcome('req-1')).toMatchObject({ status: 'failed', error: 'IssueThrottledError' });
  });

  it('marks the request failed with the error name and cause on a permanent IssueError, and the execution fails', async () => {
    const fake = fakeSteps({
      issue: async () => {
        throw new IssueError('role arn:aws:iam::123456789012:role/x cannot be assumed', false);
      },
    });
    const r = runner(fake.steps);
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'issue', 'markFailed']);
    const cause = JSON.stringify({
      errorType: 'IssueError',
      errorMessage: 'role arn:aws:iam::123456789012:role/x cannot be assumed',
    });
    expect(fake.calls[2]!.input).toEqual({
      requestId: 'req-1',
      error: { Error: 'IssueError', Cause: cause },
    });
    expect(r.outcome('req-1')).toEqual({ status: 'failed', error: 'IssueError', cause });
  });

  it('marks the request failed when evaluate throws', async () => {
    const fake = fakeSteps({
      evaluate: async () => {
        throw new Error('store unavailable');
      },
    });
    const r = runner(fake.steps);
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'markFailed']);
    expect(r.outcome('req-1')).toMatchObject({ status: 'failed', error: 'Error' });
  });

  it('logs a failed execution (no task token) and keeps running', async () => {
    const logger = silentLogger();
    const approval = capturedApproval();
    const fake = fakeSteps({ evaluate: human(), awaitApproval: approval.awaitApproval });
    const r = runner(fake.steps, { logger });
    await r.start(request());
    const { taskToken } = await approval.approvalInput;
    await r.sendTaskFailure(taskToken, 'ApprovalBroken', 'the approval channel failed');
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'awaitApproval', 'markFailed']);
    expect(r.outcome('req-1')).toMatchObject({ status: 'failed', error: 'ApprovalBroken' });
    expect(logger.warn).toHaveBeenCalledWith(
      'workflow execution failed',
      expect.objectContaining({ requestId: 'req-1', error: 'ApprovalBroken' }),
    );
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(taskToken);
    // the runner still runs other requests
    await r.start(request({ id: 'req-2' }));
    await vi.waitFor(() => expect(fake.names().filter((name) => name === 'awaitApproval')).toHaveLength(2));
  });
});

describe('LocalWorkflowRunner: the human path (.waitForTaskToken)', () => {
  it('passes exactly {requestId, taskToken} to awaitApproval and issues once approved', async () => {
    const approval = capturedApproval();
    const fake = fakeSteps({ evaluate: human(), awaitApproval: approval.awaitApproval });
    const r = runner(fake.steps);
    await r.start(request());
    const input = await approval.approvalInput;
    expect(Object.keys(input).sort()).toEqual(['requestId', 'taskToken']);
    expect(input.requestId).toBe('req-1');
    expect(input.taskToken).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(r.isRunning('req-1')).toBe(true);

    await expect(r.sendTaskSuccess(input.taskToken, { decision: 'approved' })).resolves.toBe(true);
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'awaitApproval', 'issue', 'expire']);
    await expect(r.sendTaskSuccess(input.taskToken, { decision: 'approved' })).resolves.toBe(false);
  });

  it('mints a different token for every execution', async () => {
    const tokens: string[] = [];
    const fake = fakeSteps({
      evaluate: human(),
      awaitApproval: async ({ taskToken }) => void tokens.push(taskToken),
    });
    const r = runner(fake.steps);
    await r.start(request({ id: 'a' }));
    await r.start(request({ id: 'b' }));
    await vi.waitFor(() => expect(tokens).toHaveLength(2));
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it.each(['denied', 'cancelled'] as const)(
    'ends without issuing when the decision is %s',
    async (decision) => {
      const approval = capturedApproval();
      const fake = fakeSteps({ evaluate: human(), awaitApproval: approval.awaitApproval });
      const r = runner(fake.steps);
      await r.start(request());
      await r.sendTaskSuccess((await approval.approvalInput).taskToken, { decision });
      await r.idle();
      expect(fake.names()).toEqual(['evaluate', 'awaitApproval']);
      expect(r.outcome('req-1')).toMatchObject({ status: 'succeeded' });
    },
  );

  it('times out after $.evaluation.approvalTimeoutSeconds and marks the request timed out', async () => {
    const approval = capturedApproval();
    const fake = fakeSteps({ evaluate: human(1), awaitApproval: approval.awaitApproval });
    const r = runner(fake.steps);
    const started = Date.now();
    await r.start(request());
    const { taskToken } = await approval.approvalInput;
    await r.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.names()).toEqual(['evaluate', 'awaitApproval', 'markTimedOut']);
    expect(fake.calls[2]!.input).toEqual({ requestId: 'req-1' });
    await expect(r.sendTaskSuccess(taskToken, { decision: 'approved' })).resolves.toBe(false);
  });

  it('marks the request failed on SendTaskFailure, with its error and cause', async () => {
    const approval = capturedApproval();
    const fake = fakeSteps({ evaluate: human(), awaitApproval: approval.awaitApproval });
    const r = runner(fake.steps);
    await r.start(request());
    const { taskToken } = await approval.approvalInput;
    await expect(r.sendTaskFailure(taskToken, 'NotifyFailed', 'no approver reachable')).resolves.toBe(true);
    await r.idle();
    expect(fake.calls.at(-1)).toEqual({
      step: 'markFailed',
      input: { requestId: 'req-1', error: { Error: 'NotifyFailed', Cause: 'no approver reachable' } },
    });
    expect(r.outcome('req-1')).toMatchObject({ status: 'failed', error: 'NotifyFailed' });
  });

  it('marks the request failed when awaitApproval itself throws', async () => {
    const fake = fakeSteps({
      evaluate: human(),
      awaitApproval: async () => {
        throw new Error('slack down');
      },
    });
    const r = runner(fake.steps);
    await r.start(request());
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'awaitApproval', 'markFailed']);
  });

  it('answers false for unknown tokens', async () => {
    const r = runner(fakeSteps().steps);
    await expect(r.sendTaskSuccess('no-such-token', { decision: 'approved' })).resolves.toBe(false);
    await expect(r.sendTaskFailure('no-such-token', 'E', 'c')).resolves.toBe(false);
  });
});

describe('LocalWorkflowRunner: resume after a restart', () => {
  const now = new Date('2030-01-01T00:10:00.000Z');
  const clock: Clock = { now: () => now };

  it('pending with an auto route: starts over at Evaluate', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps, { clock });
    await expect(r.resume(request())).resolves.toBe(true);
    await r.idle();
    expect(fake.names()).toEqual(['evaluate', 'issue', 'expire']);
  });

  it('pending with a human route: waits at AwaitApproval with a fresh token, then issues once approved', async () => {
    const approval = capturedApproval();
    const fake = fakeSteps({ awaitApproval: approval.awaitApproval });
    const r = runner(fake.steps, { clock });
    const pending = request({ approvalRoute: { kind: 'human', approvers: ['alice'], minApprovals: 1 } });
    await r.resume(pending);
    await r.sendTaskSuccess((await approval.approvalInput).taskToken, { decision: 'approved' });
    await r.idle();
    expect(fake.names()).toEqual(['awaitApproval', 'issue', 'expire']);
  });

  it('pending with a human route: times out after the time left to the deadline', async () => {
    const fake = fakeSteps();
    // 400 ms left: rounded up to the 1 s Step Functions can express
    const r = runner(fake.steps, {
      clock: { now: () => new Date(Date.parse('2030-01-01T00:30:00.000Z') - 400) },
    });
    const started = Date.now();
    await r.resume(request({ approvalRoute: { kind: 'human', approvers: ['alice'], minApprovals: 1 } }));
    await r.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.names()).toEqual(['awaitApproval', 'markTimedOut']);
  });

  it('pending with a human route past its deadline: marks it timed out at once', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps, { clock: { now: () => new Date('2030-01-02T00:00:00.000Z') } });
    await r.resume(request({ approvalRoute: { kind: 'human', approvers: ['alice'], minApprovals: 1 } }));
    await r.idle();
    expect(fake.calls).toEqual([{ step: 'markTimedOut', input: { requestId: 'req-1' } }]);
  });

  it('approved: issues', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps, { clock });
    await r.resume(request({ status: 'approved' }));
    await r.idle();
    expect(fake.names()).toEqual(['issue', 'expire']);
  });

  it('issued: waits until $.issue.expiresAt, then expires', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps, { clock, waitTimeOverrides: {} });
    const expiresAt = new Date(Date.now() + 200).toISOString();
    const started = Date.now();
    await r.resume(request({ status: 'issued', expiresAt }));
    await r.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(fake.names()).toEqual(['expire']);
  });

  it('issued inside a window longer than its session: waits until the window ends, then expires', async () => {
    const fake = fakeSteps();
    const r = runner(fake.steps, { clock, waitTimeOverrides: {} });
    const expiresAt = new Date(Date.now() + 20).toISOString();
    const windowEndsAt = new Date(Date.now() + 300).toISOString();
    const started = Date.now();
    await r.resume(request({ status: 'issued', expiresAt, windowEndsAt }));
    await r.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fake.calls).toEqual([{ step: 'expire', input: { requestId: 'req-1' } }]);
  });

  it.each(['expired', 'denied', 'timed_out', 'cancelled', 'revoked', 'failed'] as const)(
    '%s: nothing to resume',
    async (status) => {
      const fake = fakeSteps();
      const r = runner(fake.steps, { clock });
      await expect(r.resume(request({ status }))).resolves.toBe(false);
      await r.idle();
      expect(fake.calls).toEqual([]);
    },
  );
});

describe('LocalWorkflowRunner: stop', () => {
  it('aborts running executions: no step runs afterwards, tokens are dead, and start refuses', async () => {
    const approval = capturedApproval();
    const fake = fakeSteps({ evaluate: human(), awaitApproval: approval.awaitApproval });
    const r = runner(fake.steps);
    await r.start(request());
    const { taskToken } = await approval.approvalInput;
    await r.stop();
    expect(r.outcome('req-1')).toEqual({ status: 'aborted' });
    await expect(r.sendTaskSuccess(taskToken, { decision: 'approved' })).resolves.toBe(false);
    await expect(r.start(request({ id: 'req-2' }))).rejects.toThrow(/stopped/);
    await expect(r.resume(request({ id: 'req-3' }))).resolves.toBe(false);
    expect(fake.names()).toEqual(['evaluate', 'awaitApproval']);
  });

  it('does not call the step again when stopped during a retry pause', async () => {
    const fake = fakeSteps({
      issue: async () => {
        throw new IssueError('throttled', true);
      },
    });
    const r = runner(fake.steps, { retryIntervalOverrides: { IssueCredentials: 60_000 } });
    await r.start(request());
    await vi.waitFor(() => expect(fake.names()).toContain('issue'));
    await r.stop();
    expect(fake.names()).toEqual(['evaluate', 'issue']);
  });
});

describe('LocalWorkflowRunner: the definition it accepts', () => {
  it('refuses a Task whose function names no workflow step', () => {
    const definition = localWorkflowDefinition();
    definition.States.Evaluate!.Resource = 'arn:aws:lambda:us-east-1:123456789012:function:something-else';
    expect(() => new LocalWorkflowRunner({ definition, steps: fakeSteps().steps })).toThrow(
      /state Evaluate invokes .*something-else, which names no workflow step/,
    );
  });

  it('refuses a Task that is not a Lambda invocation', () => {
    const definition = localWorkflowDefinition();
    definition.States.Evaluate!.Resource = 'arn:aws:states:::sqs:sendMessage';
    expect(() => new LocalWorkflowRunner({ definition, steps: fakeSteps().steps })).toThrow(
      /only runs Lambda tasks/,
    );
  });

  it('resolves TimeoutSecondsPath against the state input, as Step Functions does', () => {
    const adapted = adaptForLocalInterpreter(localWorkflowDefinition());
    const state = adapted.States.AwaitApproval!;
    expect(state.TimeoutSecondsPath).toBe('$.__jitvendTimeoutSeconds');
    expect(state.Parameters).toMatchObject({
      '__jitvendTimeoutSeconds.$': '$.evaluation.approvalTimeoutSeconds',
    });
    // the original is untouched
    expect(localWorkflowDefinition().States.AwaitApproval!.TimeoutSecondsPath).toBe(
      '$.evaluation.approvalTimeoutSeconds',
    );
  });
});

describe('LocalWorkflowRunner: stopping while AwaitApproval is still notifying', () => {
  it('stops cleanly, with no unhandled rejection of the waiting task', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let notifying!: () => void;
      const called = new Promise<void>((resolve) => {
        notifying = resolve;
      });
      // the step (sending Slack and email) is still running when the runner stops
      const fake = fakeSteps({
        evaluate: human(),
        awaitApproval: () => {
          notifying();
          return new Promise<void>((resolve) => setTimeout(resolve, 50));
        },
      });
      const r = runner(fake.steps);
      await r.start(request({ approvalRoute: { kind: 'human', approvers: ['alice'], minApprovals: 1 } }));
      await called;
      await r.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
