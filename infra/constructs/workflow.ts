/**
 * The approval workflow: one Standard state machine that routes a request (auto-approve
 * or humans), waits for the decision with a task token, issues the credentials, and
 * expires them. The same definition runs locally (local/workflow-runner.ts, via
 * infra/workflow-definition.ts).
 *
 *   Evaluate → ApprovalRoute ─ approved ──────────────────────────→ IssueCredentials
 *                            ─ human → AwaitApproval → ApprovalDecision ─ approved ┘
 *                            ─ closed → Done           (States.Timeout → MarkTimedOut → Done)
 *   IssueCredentials → CredentialsIssued ─ true → WaitUntilExpiry → Expire → ExpireAgain ─ nextAt → WaitToExpireAgain → Expire
 *                    (errors → MarkFailed → FailedAfterIssue ─ issued → WaitUntilExpiry   └ none → Done
 *                                                            ─ else → Failed)
 *
 * Failure modes (Step Functions developer guide, "Handling errors in Step Functions" and
 * "Handle Lambda service exceptions"): every Task retries Lambda's transient errors, the
 * throttling one included; every error past the retries is caught; the clean-up steps retry
 * every error and then, as a safety net, wait an hour and run again, so no execution ends
 * while its request is non-terminal or its revocation deny is still on the role.
 */
import { Duration, Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  ISSUE_THROTTLED_ERROR,
  WORKFLOW_STATES as S,
  WORKFLOW_STEP_NAMES,
  WORKFLOW_STEP_TAG,
  type WorkflowStepName,
} from '../../shared/domain/workflow-contract.ts';

export interface ApprovalWorkflowProps {
  /** One function per step (distinct: the payload does not say which step is meant). */
  functions: Readonly<Record<WorkflowStepName, lambda.IFunction>>;
  /** Execution history logging. Execution data (inputs, outputs, task tokens) is never logged. */
  logs?: { destination: logs.ILogGroup; level?: sfn.LogLevel };
  /** X-Ray tracing of executions. @default false */
  tracingEnabled?: boolean;
  stateMachineName?: string;
}

/**
 * Lambda's own transient failures, as Step Functions names them ("Handle Lambda service
 * exceptions", Step Functions developer guide: ClientExecutionTimeoutException,
 * ServiceException, AWSLambdaException, SdkClientException; and "When Lambda hits the maximum
 * number of invocations, the error is Lambda.TooManyRequestsException"). Every Task retries them.
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

/** The retry the Step Functions guide gives for them: 2 s, doubling, 6 attempts (here jittered, capped at 30 s). */
const TRANSIENT_RETRY: sfn.RetryProps = {
  errors: LAMBDA_TRANSIENT_ERRORS,
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * The clean-up steps (MarkFailed, MarkTimedOut, Expire) are idempotent and must happen, so
 * they retry every error for about 25 minutes (DynamoDB or IAM throttled past the SDK's own
 * retries, a deploy in progress); past that, a Wait of an hour and the step again (below).
 */
const CLEANUP_RETRY: sfn.RetryProps = {
  errors: [sfn.Errors.ALL],
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxAttempts: 10,
  maxDelay: Duration.minutes(5),
  jitterStrategy: sfn.JitterType.FULL,
};
/** How long the safety net waits before running a clean-up step that exhausted its retries again. */
export const CLEANUP_RETRY_LATER = Duration.hours(1);

export class ApprovalWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ApprovalWorkflowProps) {
    super(scope, id);
    const fns = props.functions;
    if (new Set(WORKFLOW_STEP_NAMES.map((step) => fns[step])).size !== WORKFLOW_STEP_NAMES.length) {
      throw new Error('ApprovalWorkflow: each workflow step needs its own function');
    }
    // Lets tools (the local runner among them) tell which step each Task invokes.
    for (const step of WORKFLOW_STEP_NAMES) Tags.of(fns[step]).add(WORKFLOW_STEP_TAG, step);

    const requestId = sfn.JsonPath.stringAt('$.requestId');
    const done = new sfn.Succeed(this, S.done);
    // CDK's own default retry (retryOnServiceExceptions) misses Lambda.TooManyRequestsException:
    // every Task below replaces it with TRANSIENT_RETRY
    const task = (
      id: string,
      props: Omit<tasks.LambdaInvokeProps, 'payloadResponseOnly' | 'retryOnServiceExceptions'>,
    ) =>
      new tasks.LambdaInvoke(this, id, {
        ...props,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      });

    // Expire: marks the request expired and removes a revocation deny once it has lapsed; it
    // returns {nextAt} while something is left to do later (see ExpireOutput)
    const expire = task(S.expire, {
      comment:
        'The approval window has ended: expired, and the revocation deny removed once the last session has expired',
      lambdaFunction: fns.expire,
      payload: sfn.TaskInput.fromObject({ requestId }),
      resultPath: '$.expiry',
    });
    const waitToExpireAgain = new sfn.Wait(this, S.waitToExpireAgain, {
      comment: 'Until the session expires or its deny lapses (whole seconds: a Wait truncates milliseconds)',
      time: sfn.WaitTime.timestampPath('$.expiry.nextAt'),
    }).next(expire);
    expire
      .addRetry(TRANSIENT_RETRY)
      .addRetry(CLEANUP_RETRY)
      .addCatch(
        new sfn.Wait(this, S.retryExpireLater, {
          comment:
            'Safety net: Expire failed past its retries; try again later, never leaving the request issued or its deny behind',
          time: sfn.WaitTime.duration(CLEANUP_RETRY_LATER),
        }).next(expire),
        { errors: [sfn.Errors.ALL], resultPath: '$.error' },
      )
      .next(
        new sfn.Choice(this, S.expireAgain)
          .when(sfn.Condition.isPresent('$.expiry.nextAt'), waitToExpireAgain)
          .otherwise(done),
      );

    // the request stays issued through its approval window (renewed sessions inside it), so
    // the workflow sleeps until the window ends, not until the first session expires
    const waitUntilExpiry = new sfn.Wait(this, S.waitUntilExpiry, {
      comment: 'Sleeps until the approval window ends (the last session expires no later)',
      time: sfn.WaitTime.timestampPath('$.issue.windowEndsAt'),
    }).next(expire);

    const markFailed = task(S.markFailed, {
      comment:
        'Records why the request failed (the caught {Error, Cause} is in $.error); a request found issued goes on to its expiry',
      lambdaFunction: fns.markFailed,
      payload: sfn.TaskInput.fromObject({ requestId, error: sfn.JsonPath.objectAt('$.error') }),
      resultPath: '$.issue',
    });
    markFailed
      .addRetry(TRANSIENT_RETRY)
      .addRetry(CLEANUP_RETRY)
      .addCatch(
        new sfn.Wait(this, S.retryMarkFailedLater, {
          comment:
            'Safety net: MarkFailed failed past its retries; try again later (the original error stays in $.error)',
          time: sfn.WaitTime.duration(CLEANUP_RETRY_LATER),
        }).next(markFailed),
        // the original error stays in $.error for the Fail state
        { errors: [sfn.Errors.ALL], resultPath: '$.cleanupError' },
      )
      .next(
        new sfn.Choice(this, S.failedAfterIssue)
          .when(sfn.Condition.booleanEquals('$.issue.issued', true), waitUntilExpiry)
          .otherwise(
            new sfn.Fail(this, S.failed, {
              comment: 'The execution fails with the error that failed the request',
              errorPath: '$.error.Error',
              causePath: '$.error.Cause',
            }),
          ),
      );

    const markTimedOut = task(S.markTimedOut, {
      comment: 'No decision before the approval deadline',
      lambdaFunction: fns.markTimedOut,
      payload: sfn.TaskInput.fromObject({ requestId }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    markTimedOut
      .addRetry(TRANSIENT_RETRY)
      .addRetry(CLEANUP_RETRY)
      // could not record the timeout: the request still ends, as failed with the reason
      .addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
      .next(done);

    const issueCredentials = task(S.issueCredentials, {
      comment: 'AssumeRole with the session policy; IssueThrottledError is retried',
      lambdaFunction: fns.issue,
      payload: sfn.TaskInput.fromObject({ requestId }),
      resultPath: '$.issue',
    });
    issueCredentials
      .addRetry({
        errors: [ISSUE_THROTTLED_ERROR],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 3,
        maxDelay: Duration.seconds(30),
        jitterStrategy: sfn.JitterType.FULL,
      })
      .addRetry(TRANSIENT_RETRY)
      .addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
      .next(
        new sfn.Choice(this, S.credentialsIssued)
          .when(sfn.Condition.booleanEquals('$.issue.issued', true), waitUntilExpiry)
          .otherwise(done),
      );

    const awaitApproval = new tasks.LambdaInvoke(this, S.awaitApproval, {
      comment: 'Notifies the approvers (once per person) and waits for SendTaskSuccess {decision}',
      lambdaFunction: fns.awaitApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ requestId, taskToken: sfn.JsonPath.taskToken }),
      // resolved against the state input (not the payload), as Step Functions does
      taskTimeout: sfn.Timeout.at('$.evaluation.approvalTimeoutSeconds'),
      resultPath: '$.approval',
      retryOnServiceExceptions: false,
    });
    awaitApproval
      .addRetry(TRANSIENT_RETRY)
      .addCatch(markTimedOut, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.error' })
      .addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
      .next(
        new sfn.Choice(this, S.approvalDecision)
          .when(sfn.Condition.stringEquals('$.approval.decision', 'approved'), issueCredentials)
          .otherwise(done),
      );

    const evaluate = task(S.evaluate, {
      comment: 'Applies the auto-approve rules and says where the request goes',
      lambdaFunction: fns.evaluate,
      // the execution's input too: a request approved at create says so there (EvaluateInput)
      payload: sfn.TaskInput.fromObject({
        requestId,
        execution: sfn.JsonPath.objectAt('$$.Execution.Input'),
      }),
      resultPath: '$.evaluation',
    });
    evaluate
      .addRetry(TRANSIENT_RETRY)
      .addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
      .next(
        new sfn.Choice(this, S.approvalRoute)
          .when(sfn.Condition.stringEquals('$.evaluation.route', 'approved'), issueCredentials)
          .when(sfn.Condition.stringEquals('$.evaluation.route', 'human'), awaitApproval)
          .when(sfn.Condition.stringEquals('$.evaluation.route', 'closed'), done),
      );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(evaluate),
      tracingEnabled: props.tracingEnabled ?? false,
      ...(props.logs
        ? {
            logs: {
              destination: props.logs.destination,
              level: props.logs.level ?? sfn.LogLevel.ERROR,
              includeExecutionData: false,
            },
          }
        : {}),
    });
  }
}
