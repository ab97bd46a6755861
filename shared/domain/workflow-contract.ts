/**
 * The contract between the approval workflow (the state machine of
 * infra/constructs/workflow.ts, executed by Step Functions on AWS and by
 * local/workflow-runner.ts locally) and the use cases that implement its steps.
 *
 * Each Task state invokes exactly one step; the step's input is the Task's payload and
 * its output is merged into the execution state (see the ResultPath of each state).
 * No AWS imports: this file is the domain side of the contract.
 */

/** The execution input: the workflow only ever carries the request id, never secrets. */
export interface WorkflowInput {
  requestId: string;
}

/** The execution input as the create use case starts the workflow (Workflow.start). */
export interface WorkflowStartInput extends WorkflowInput {
  /**
   * The request was approved by an auto-approve rule in its create transaction: Evaluate has
   * nothing to read or decide (IssueCredentials reads the request and issues only if it is
   * still approved).
   */
  approvedAtCreate?: true;
}

/** The input of a workflow's execution for a request as created (`request` as just stored). */
export function workflowStartInput(request: { id: string; status: string }): WorkflowStartInput {
  return { requestId: request.id, ...(request.status === 'approved' ? { approvedAtCreate: true } : {}) };
}

/** Evaluate's input: the request, and the execution's input (`$$.Execution.Input`). */
export interface EvaluateInput extends WorkflowInput {
  execution?: Partial<WorkflowStartInput>;
}

/** Where `evaluate` sends the request. */
export type ApprovalRouteDecision = 'approved' | 'human' | 'closed';

export interface EvaluateOutput {
  /**
   * `approved`: an auto-approve rule holds (the request is now `approved`), issue now;
   * `human`: wait for approvers; `closed`: the request is no longer pending (e.g. cancelled).
   */
  route: ApprovalRouteDecision;
  /**
   * How long `AwaitApproval` waits for a decision before the request times out (States
   * TimeoutSecondsPath): a positive integer (Step Functions rejects 0 and fractions), so
   * round up. Meaningful only for the `human` route; any positive integer otherwise.
   */
  approvalTimeoutSeconds: number;
}

export interface AwaitApprovalInput {
  requestId: string;
  /**
   * The Step Functions task token: resume the execution with SendTaskSuccess
   * (`ApprovalOutput`). A secret-like handle: store it server-side only, never put it in a
   * URL, a Slack message, a log or an audit event.
   */
  taskToken: string;
}

/** The output given to SendTaskSuccess when the approvers (or the requester) decide. */
export type ApprovalDecision = 'approved' | 'denied' | 'cancelled';
export interface ApprovalOutput {
  decision: ApprovalDecision;
}

export interface IssueOutput {
  issued: boolean;
  /** ISO timestamp of the STS session's expiry; present when `issued` */
  expiresAt?: string;
  /**
   * ISO timestamp (whole seconds) of the approval window's end, when the workflow calls
   * `expire` (WaitUntilExpiry); present when `issued`. Sessions renewed inside the window
   * never outlive it.
   */
  windowEndsAt?: string;
}

/**
 * What `expire` leaves to do later. `nextAt`: call `expire` again at this time (ISO, whole
 * seconds, rounded up): a revocation (or release) deny must stay until the session's expiry
 * plus the grace. Absent: nothing is left, the request is terminal and no deny of it remains.
 */
export interface ExpireOutput {
  nextAt?: string;
}

/** The `{Error, Cause}` object Step Functions gives a Catch (Cause is often Lambda's JSON error). */
export interface WorkflowError {
  Error: string;
  Cause: string;
}

/**
 * Error names the workflow's Retry and Catch match. A step signals them by throwing an
 * error whose `name` is one of these (IssueError of shared/domain/errors.ts does).
 */
export const ISSUE_THROTTLED_ERROR = 'IssueThrottledError';
export const ISSUE_ERROR = 'IssueError';

/** The steps, one per Task state. Each is idempotent: Step Functions may deliver twice. */
export interface WorkflowSteps {
  /** Applies the auto-approve rules; `closed` when the request is no longer pending. */
  evaluate(input: EvaluateInput): Promise<EvaluateOutput>;
  /**
   * Stores the task token server-side and notifies the approvers. Returns nothing itself:
   * the execution resumes when SendTaskSuccess is called with an `ApprovalOutput`, or
   * fails the state with States.Timeout after `approvalTimeoutSeconds`.
   */
  awaitApproval(input: AwaitApprovalInput): Promise<void>;
  /**
   * Mints the credentials of an approved request. Throws an error named
   * `IssueThrottledError` on STS throttling (retried) or `IssueError` otherwise (the
   * request is marked failed).
   */
  issue(input: WorkflowInput): Promise<IssueOutput>;
  /**
   * The request could not be approved or issued: `error` is what the Catch received. A
   * request found issued (its credentials were minted before the failure) is not failed:
   * `{issued: true, expiresAt}` sends the workflow on to its expiry.
   */
  markFailed(input: WorkflowInput & { error: WorkflowError }): Promise<IssueOutput>;
  /** No decision before the approval deadline. */
  markTimedOut(input: WorkflowInput): Promise<Record<string, never>>;
  /**
   * Called at the window's end (`IssueOutput.windowEndsAt`), and again at `nextAt` while it
   * returns one: moves an issued request to expired, and removes a revocation deny once
   * the session's expiry plus the grace has passed. Idempotent.
   */
  expire(input: WorkflowInput): Promise<ExpireOutput>;
}

export type WorkflowStepName = keyof WorkflowSteps;

export const WORKFLOW_STEP_NAMES = [
  'evaluate',
  'awaitApproval',
  'issue',
  'markFailed',
  'markTimedOut',
  'expire',
] as const satisfies readonly WorkflowStepName[];

export function isWorkflowStepName(value: string): value is WorkflowStepName {
  return (WORKFLOW_STEP_NAMES as readonly string[]).includes(value);
}

/**
 * Resumes a task waiting for its token (the AwaitApproval state). `false` when the task no
 * longer waits: it timed out, the execution ended, or the token is unknown or malformed.
 * Other failures (throttling, permissions) throw.
 */
export interface WorkflowTaskCallback {
  sendTaskSuccess(taskToken: string, output: ApprovalOutput): Promise<boolean>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean>;
}

/**
 * How a workflow definition names the step a Task state invokes, so a local interpreter
 * can map each Task to its step from the definition itself: the workflow construct tags
 * each step's function with `WORKFLOW_STEP_TAG`, and the definition extracted for local
 * use names the function `jitvend-step-<step>` in its ARN.
 */
export const WORKFLOW_STEP_TAG = 'jitvend:workflow-step';
const STEP_FUNCTION_PREFIX = 'jitvend-step-';

export function stepFunctionName(step: WorkflowStepName): string {
  return `${STEP_FUNCTION_PREFIX}${step}`;
}

/** The step named by a Lambda function ARN (or name) of a local definition, if any. */
export function stepOfFunction(functionArnOrName: string): WorkflowStepName | undefined {
  // arn:aws:lambda:region:account:function:NAME[:qualifier], or a bare NAME
  const parts = functionArnOrName.split(':');
  const name = parts.length >= 7 ? parts[6] : parts[0];
  if (!name?.startsWith(STEP_FUNCTION_PREFIX)) return undefined;
  const step = name.slice(STEP_FUNCTION_PREFIX.length);
  return isWorkflowStepName(step) ? step : undefined;
}

/**
 * The state names of the workflow definition: what execution histories, logs and the
 * local runner's resume refer to.
 */
export const WORKFLOW_STATES = {
  evaluate: 'Evaluate',
  approvalRoute: 'ApprovalRoute',
  awaitApproval: 'AwaitApproval',
  approvalDecision: 'ApprovalDecision',
  issueCredentials: 'IssueCredentials',
  credentialsIssued: 'CredentialsIssued',
  waitUntilExpiry: 'WaitUntilExpiry',
  expire: 'Expire',
  expireAgain: 'ExpireAgain',
  waitToExpireAgain: 'WaitToExpireAgain',
  retryExpireLater: 'RetryExpireLater',
  failedAfterIssue: 'FailedAfterIssue',
  retryMarkFailedLater: 'RetryMarkFailedLater',
  markTimedOut: 'MarkTimedOut',
  markFailed: 'MarkFailed',
  done: 'Done',
  failed: 'Failed',
} as const;
export type WorkflowStateName = (typeof WORKFLOW_STATES)[keyof typeof WORKFLOW_STATES];
