/**
 * The local Step Functions stand-in: executes the approval workflow's definition (the
 * one CDK deploys, from infra/workflow-definition.ts) in process with
 * aws-local-stepfunctions, each Task state running its step (WorkflowSteps) directly.
 *
 * What it adds to the library, and why:
 * - Task → step: the step table (STEPS of functions/steps.ts) names the step each Task
 *   state runs, and the function the definition invokes must be that step's (its ARN names
 *   the step, see stepOfFunction); a definition that disagrees is refused at construction.
 * - `.waitForTaskToken`: the library has none. The context gives `$$.Task.Token` a
 *   per-execution placeholder; the Task's handler mints a fresh random token for each
 *   attempt, puts it where the placeholder landed in the payload, calls the step, and
 *   waits on a promise held in a token map that sendTaskSuccess / sendTaskFailure settle.
 * - TimeoutSecondsPath: Step Functions resolves it against the state input; the library
 *   resolves it against the Parameters output (where `$.evaluation...` does not exist).
 *   The runner copies the path's value into a hidden Parameters field and points
 *   TimeoutSecondsPath at it (stripped before the step sees the payload), so the library
 *   raises States.Timeout exactly when Step Functions would. See adaptForLocalInterpreter.
 * - Lambda errors: a step's error reaches Retry/Catch by its `name`, with a Lambda-style
 *   Cause (`{"errorType","errorMessage"}` JSON, no stack trace), as on AWS.
 * - resume(): restarts the workflow of a stored request at the state it had reached.
 */
import './polyfills.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { stepOfState } from '../functions/steps.ts';
import type { Clock, Workflow } from '../shared/domain/ports.ts';
import { systemClock } from '../shared/domain/ports.ts';
import type { AccessRequest } from '../shared/domain/types.ts';
import { windowEndOf } from '../shared/domain/window.ts';
import {
  type ApprovalOutput,
  stepOfFunction,
  WORKFLOW_STATES,
  type WorkflowStepName,
  type WorkflowSteps,
  type WorkflowTaskCallback,
  workflowStartInput,
} from '../shared/domain/workflow-contract.ts';

/** An ASL definition as a plain object (e.g. localWorkflowDefinition()). */
export interface LocalWorkflowDefinition {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  Comment?: string;
  TimeoutSeconds?: number;
}

export interface RunnerLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LocalWorkflowRunnerOptions {
  definition: LocalWorkflowDefinition;
  /**
   * The definition already passed the library's validator (loadWorkflowDefinition's always
   * has: the cache validates before it writes), so the constructor skips the check (a few
   * hundred ms to seconds of CPU at every start). Default false: validated here.
   */
  definitionValidated?: boolean;
  steps: WorkflowSteps;
  /** Wait state name → milliseconds to wait instead (e.g. `{WaitUntilExpiry: 5}` in tests). */
  waitTimeOverrides?: Record<string, number>;
  /** State name → milliseconds between retries instead of the Retry's backoff. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** For resume's remaining approval time. */
  clock?: Clock;
  logger?: RunnerLogger;
}

export type ExecutionOutcome =
  | { status: 'running' }
  | { status: 'succeeded'; output: unknown }
  | { status: 'failed'; error: string; cause: string }
  | { status: 'aborted' };

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LocalHandler = LocalHandlers[string];
type JsonValue = Parameters<LocalHandler>[0];

type TaskKind = 'function' | 'invoke' | 'waitForTaskToken';
interface TaskBinding {
  kind: TaskKind;
  step: WorkflowStepName;
  /** seconds the task may run when no TimeoutSecondsPath applies (the library's default is 60) */
  timeoutSeconds: number;
}

interface Execution {
  id: string;
  requestId: string;
  aborted: boolean;
  abort: () => void;
  tokens: Set<string>;
  done: Promise<void>;
}

interface TokenWaiter {
  executionId: string;
  resolve: (output: JsonValue) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** The hidden Parameters field that carries a Task's TimeoutSecondsPath value (see above). */
const TIMEOUT_FIELD = '__jitvendTimeoutSeconds';
const LIBRARY_DEFAULT_TIMEOUT_SECONDS = 60;
const MAX_REMEMBERED_OUTCOMES = 1000;

const consoleLogger: RunnerLogger = {
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

/** A step error as Step Functions reports a Lambda error: name = errorType, Cause = JSON. */
class LambdaStepError extends Error {
  constructor(error: unknown) {
    const errorType = error instanceof Error ? error.name : 'Error';
    const errorMessage = error instanceof Error ? error.message : String(error);
    super(JSON.stringify({ errorType, errorMessage }));
    this.name = errorType;
  }
}

/** SendTaskFailure's error and cause, as the Task's failure. */
class TaskFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

class ExecutionStoppedError extends Error {
  override readonly name = 'ExecutionStoppedError';
}

/**
 * Makes the library resolve TimeoutSecondsPath like Step Functions (against the state
 * input): for each Task with TimeoutSecondsPath and object Parameters, the path's value
 * is copied into a hidden Parameters field the library then reads. Returns a copy.
 */
export function adaptForLocalInterpreter(definition: LocalWorkflowDefinition): LocalWorkflowDefinition {
  const adapted = structuredClone(definition);
  for (const state of Object.values(adapted.States)) {
    const path = state.TimeoutSecondsPath;
    const parameters = state.Parameters;
    if (state.Type !== 'Task' || typeof path !== 'string') continue;
    if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) continue;
    (parameters as Record<string, unknown>)[`${TIMEOUT_FIELD}.$`] = path;
    state.TimeoutSecondsPath = `$.${TIMEOUT_FIELD}`;
  }
  return adapted;
}

function bindTask(name: string, state: Record<string, unknown>): TaskBinding {
  const resource = String(state.Resource);
  const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
  let kind: TaskKind;
  let functionArn: unknown;
  if (/^arn:[^:]+:lambda:/.test(resource)) {
    kind = 'function';
    functionArn = resource;
  } else if (/^arn:[^:]+:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource)) {
    kind = resource.endsWith('.waitForTaskToken') ? 'waitForTaskToken' : 'invoke';
    functionArn = parameters.FunctionName;
  } else {
    throw new Error(`state ${name}: the local runner only runs Lambda tasks, not ${resource}`);
  }
  const step = typeof functionArn === 'string' ? stepOfFunction(functionArn) : undefined;
  if (!step) throw new Error(`state ${name} invokes ${String(functionArn)}, which names no workflow step`);
  const listed = stepOfState(name);
  if (listed !== step) {
    throw new Error(
      `state ${name} invokes the ${step} step, but functions/steps.ts ${listed ? `gives it ${listed}` : 'does not list it'}`,
    );
  }
  if (kind === 'waitForTaskToken' && !JSON.stringify(parameters).includes('"$$.Task.Token"')) {
    throw new Error(`state ${name} waits for a task token but never passes $$.Task.Token`);
  }
  const timeoutSeconds =
    typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : LIBRARY_DEFAULT_TIMEOUT_SECONDS;
  return { kind, step, timeoutSeconds };
}

/** Replaces every string equal to `placeholder` in a JSON value. */
function replaceString(value: unknown, placeholder: string, replacement: string): unknown {
  if (value === placeholder) return replacement;
  if (Array.isArray(value)) return value.map((item) => replaceString(item, placeholder, replacement));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceString(v, placeholder, replacement)]),
    );
  }
  return value;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function executionName(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}

export class LocalWorkflowRunner implements Workflow, WorkflowTaskCallback {
  private readonly definition: LocalWorkflowDefinition;
  private readonly steps: WorkflowSteps;
  private readonly tasks = new Map<string, TaskBinding>();
  private readonly machines = new Map<string, StateMachine>();
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, TokenWaiter>();
  private readonly started = new Set<string>();
  private readonly outcomes = new Map<string, ExecutionOutcome>();
  private readonly overrides: Pick<
    NonNullable<RunOptions['overrides']>,
    'waitTimeOverrides' | 'retryIntervalOverrides'
  >;
  private readonly clock: Clock;
  private readonly logger: RunnerLogger;
  private stopped = false;

  constructor(options: LocalWorkflowRunnerOptions) {
    this.definition = adaptForLocalInterpreter(options.definition);
    this.steps = options.steps;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger;
    this.overrides = {
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    };
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Map' || state.Type === 'Parallel') {
        throw new Error(`state ${name}: the local runner does not run ${String(state.Type)} states`);
      }
      if (state.Type === 'Task') this.tasks.set(name, bindTask(name, state));
    }
    // Validates the definition once (ARNs, paths, reachability) unless that was done when it
    // was built; resumed copies skip it.
    this.machines.set(
      this.definition.StartAt,
      new StateMachine(
        this.definition as unknown as StateMachineDefinition,
        options.definitionValidated ? { validationOptions: { noValidate: true } } : {},
      ),
    );
  }

  /** Workflow port: starts the workflow of a new request. A second start for the same request is a no-op. */
  async start(request: AccessRequest): Promise<void> {
    this.assertRunning();
    if (this.started.has(request.id)) return; // as Step Functions: one execution name per request
    this.launch(request.id, this.definition.StartAt, { ...workflowStartInput(request) });
  }

  /**
   * Restarts the workflow of a request found in the store at startup, at the state it
   * had reached: pending (auto route) → Evaluate; pending (human) → AwaitApproval with the
   * time left (MarkTimedOut if none); approved → IssueCredentials; issued, or ended with its
   * revocation deny still on the role → WaitUntilExpiry, until the approval window ends (Expire waits for the deny to lapse). Resolves to whether an execution was started (terminal statuses,
   * an execution already running, or a stopped runner: none); never rejects.
   */
  async resume(request: AccessRequest): Promise<boolean> {
    if (this.stopped || this.isRunning(request.id)) return false;
    try {
      return this.resumeAt(request);
    } catch (error) {
      // callers fire and forget resume at startup: never reject
      this.logger.error('workflow not resumed', { requestId: request.id, error: String(error) });
      return false;
    }
  }

  private resumeAt(request: AccessRequest): boolean {
    const requestId = request.id;
    const S = WORKFLOW_STATES;
    switch (request.status) {
      case 'pending_approval': {
        if (request.approvalRoute.kind === 'auto') return this.launch(requestId, S.evaluate, { requestId });
        const remainingMs = new Date(request.approvalDeadline).getTime() - this.clock.now().getTime();
        if (!(remainingMs > 0)) {
          const error = {
            Error: 'States.Timeout',
            Cause: 'the approval deadline passed while the workflow was stopped',
          };
          return this.launch(requestId, S.markTimedOut, { requestId, error });
        }
        const evaluation = {
          route: 'human',
          approvalTimeoutSeconds: Math.max(1, Math.ceil(remainingMs / 1000)),
        };
        return this.launch(requestId, S.awaitApproval, { requestId, evaluation });
      }
      case 'approved':
        return this.launch(requestId, S.issueCredentials, { requestId });
      case 'issued':
        if (!request.expiresAt) {
          this.logger.error('workflow not resumed: issued request without expiresAt', { requestId });
          return false;
        }
        return this.launch(requestId, S.waitUntilExpiry, {
          requestId,
          issue: {
            issued: true,
            expiresAt: request.expiresAt,
            windowEndsAt: windowEndOf(request.expiresAt, request.windowEndsAt),
          },
        });
      default:
        // a revoked (or released) session's deny is removed once it has lapsed: Expire knows when
        if (!request.revocation || request.revocation.releasedAt || !request.expiresAt) return false;
        return this.launch(requestId, S.waitUntilExpiry, {
          requestId,
          issue: {
            issued: true,
            expiresAt: request.expiresAt,
            windowEndsAt: windowEndOf(request.expiresAt, request.windowEndsAt),
          },
        });
    }
  }

  /** SendTaskSuccess: `false` when no task waits for this token (unknown, timed out, or ended). */
  async sendTaskSuccess(taskToken: string, output: ApprovalOutput): Promise<boolean> {
    const waiter = this.takeToken(taskToken);
    if (!waiter) return false;
    waiter.resolve(JSON.parse(JSON.stringify(output)) as JsonValue);
    return true;
  }

  /** SendTaskFailure: fails the waiting task with `error` (its name for Retry/Catch) and `cause`. */
  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    const waiter = this.takeToken(taskToken);
    if (!waiter) return false;
    waiter.reject(new TaskFailure(error, cause));
    return true;
  }

  /** The latest execution's outcome for a request (kept for the last 1000 requests). */
  outcome(requestId: string): ExecutionOutcome | undefined {
    return this.outcomes.get(requestId);
  }

  isRunning(requestId: string): boolean {
    return [...this.executions.values()].some((execution) => execution.requestId === requestId);
  }

  /** Resolves when no execution runs (executions started meanwhile are awaited too). */
  async idle(): Promise<void> {
    while (this.executions.size > 0) {
      await Promise.all([...this.executions.values()].map((execution) => execution.done));
    }
  }

  /** Aborts every running execution (no step is called after this) and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const execution of this.executions.values()) {
      execution.aborted = true;
      execution.abort();
      for (const token of execution.tokens) {
        this.takeToken(token)?.reject(new ExecutionStoppedError('the local workflow runner stopped'));
      }
    }
    await this.idle();
  }

  private assertRunning(): void {
    if (this.stopped) throw new Error('the local workflow runner is stopped');
  }

  private machineFor(startAt: string): StateMachine {
    let machine = this.machines.get(startAt);
    if (!machine) {
      if (!(startAt in this.definition.States))
        throw new Error(`no state ${startAt} in the workflow definition`);
      // Same states, another entry point: the states before it are unreachable, which the
      // validator refuses; the definition itself was validated in the constructor.
      const copy = { ...this.definition, StartAt: startAt } as unknown as StateMachineDefinition;
      machine = new StateMachine(copy, { validationOptions: { noValidate: true } });
      this.machines.set(startAt, machine);
    }
    return machine;
  }

  private launch(requestId: string, startAt: string, input: Record<string, unknown>): true {
    const machine = this.machineFor(startAt);
    this.started.add(requestId);
    const id = randomUUID();
    const name = executionName(requestId);
    const placeholder = `local-task-token-placeholder:${id}`;
    const execution: Execution = {
      id,
      requestId,
      aborted: false,
      abort: () => {},
      tokens: new Set(),
      done: Promise.resolve(),
    };
    const handlers: LocalHandlers = {};
    for (const [state, binding] of this.tasks)
      handlers[state] = this.handlerFor(execution, binding, placeholder);

    const run = machine.run(input as JsonValue, {
      overrides: { taskResourceLocalHandlers: handlers, ...this.overrides },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: `arn:aws:states:local:000000000000:execution:jitvend-approval:${name}:${id}`,
          Name: name,
          Input: input as JsonValue,
        },
        StateMachine: {
          Id: 'arn:aws:states:local:000000000000:stateMachine:jitvend-approval',
          Name: 'jitvend-approval',
        },
        Task: { Token: placeholder },
      },
    });
    execution.abort = run.abort;
    this.remember(requestId, { status: 'running' });
    execution.done = run.result
      .then(
        (output) => {
          this.remember(
            requestId,
            execution.aborted ? { status: 'aborted' } : { status: 'succeeded', output },
          );
        },
        (error: unknown) => {
          const failure = error instanceof Error && error.cause instanceof Error ? error.cause : error;
          const outcome = {
            status: 'failed' as const,
            error: failure instanceof Error ? failure.name : 'Error',
            cause: failure instanceof Error ? failure.message : String(failure),
          };
          this.remember(requestId, outcome);
          // Step errors and causes are written for users and carry no secrets; tokens never appear.
          this.logger.warn('workflow execution failed', {
            requestId,
            executionId: id,
            error: outcome.error,
            cause: outcome.cause,
          });
        },
      )
      .finally(() => {
        for (const token of execution.tokens) this.takeToken(token);
        this.executions.delete(id);
      });
    this.executions.set(id, execution);
    return true;
  }

  private handlerFor(execution: Execution, binding: TaskBinding, placeholder: string): LocalHandler {
    const step = this.steps[binding.step] as (input: unknown) => Promise<unknown>;
    const invoke = async (payload: unknown): Promise<JsonValue> => {
      if (execution.aborted) throw new ExecutionStoppedError('the execution was stopped');
      try {
        return ((await step.call(this.steps, payload)) ?? null) as JsonValue;
      } catch (error) {
        throw new LambdaStepError(error);
      }
    };
    switch (binding.kind) {
      case 'function':
        return (input) => invoke(input);
      case 'invoke':
        return async (input) => {
          const payload = (input as { Payload?: unknown }).Payload ?? {};
          return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: await invoke(payload) };
        };
      case 'waitForTaskToken':
        return async (input) => {
          const { [TIMEOUT_FIELD]: timeoutSeconds, Payload } = input as Record<string, unknown>;
          const token = randomBytes(48).toString('base64url');
          const { promise, resolve, reject } = deferred<JsonValue>();
          // stop() may reject it while the step below still runs, before anyone awaits it:
          // mark it handled now (the caller still sees the rejection when it awaits it)
          promise.catch(() => undefined);
          const waiter: TokenWaiter = { executionId: execution.id, resolve, reject };
          // The library raises States.Timeout at the deadline; forget the token then too.
          const seconds = typeof timeoutSeconds === 'number' ? timeoutSeconds : binding.timeoutSeconds;
          waiter.timer = setTimeout(() => this.takeToken(token), seconds * 1000);
          waiter.timer.unref();
          this.tokens.set(token, waiter);
          execution.tokens.add(token);
          try {
            await invoke(replaceString(Payload ?? {}, placeholder, token));
          } catch (error) {
            this.takeToken(token);
            throw error;
          }
          return promise;
        };
    }
  }

  private takeToken(token: string): TokenWaiter | undefined {
    const waiter = this.tokens.get(token);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.tokens.delete(token);
    this.executions.get(waiter.executionId)?.tokens.delete(token);
    return waiter;
  }

  private remember(requestId: string, outcome: ExecutionOutcome): void {
    this.outcomes.delete(requestId);
    this.outcomes.set(requestId, outcome);
    if (this.outcomes.size > MAX_REMEMBERED_OUTCOMES) {
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) this.outcomes.delete(oldest);
    }
  }
}
