/**
 * The approval workflow: one Standard state machine that routes a request (auto-approve
 * or humans), waits for the decision with a task token, issues the credentials, and
 * expires them. The same definition runs locally (local/workflow-runner.ts, via
 * infra/workflow-definition.ts).
 *
 *   Evaluate → ApprovalRoute ─ approved ──────────────────────────→ IssueCredentials
 *                            ─ human → AwaitApproval → ApprovalDecision ─ approved ┘
 *                            ─ closed → Done           (States.Timeout → MarkTimedOut → Done)
 *   IssueCredentials → CredentialsIssued ─ true → WaitUntilExpiry → Expire → Done
 *                    (errors → MarkFailed → Failed)  ─ false → Done
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

/** Lambda's own transient failures, as Step Functions names them. */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

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

    const markFailed = new tasks.LambdaInvoke(this, S.markFailed, {
      comment: 'Records why the request failed (the caught {Error, Cause} is in $.error)',
      lambdaFunction: fns.markFailed,
      payload: sfn.TaskInput.fromObject({ requestId, error: sfn.JsonPath.objectAt('$.error') }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    }).next(
      new sfn.Fail(this, S.failed, {
        comment: 'The execution fails with the error that failed the request',
        errorPath: '$.error.Error',
        causePath: '$.error.Cause',
      }),
    );

    const markTimedOut = new tasks.LambdaInvoke(this, S.markTimedOut, {
      comment: 'No decision before the approval deadline',
      lambdaFunction: fns.markTimedOut,
      payload: sfn.TaskInput.fromObject({ requestId }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    }).next(done);

    const expire = new tasks.LambdaInvoke(this, S.expire, {
      comment: 'The STS session has expired',
      lambdaFunction: fns.expire,
      payload: sfn.TaskInput.fromObject({ requestId }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    }).next(done);

    const waitUntilExpiry = new sfn.Wait(this, S.waitUntilExpiry, {
      comment: 'Sleeps until the session expires',
      time: sfn.WaitTime.timestampPath('$.issue.expiresAt'),
    }).next(expire);

    const issueCredentials = new tasks.LambdaInvoke(this, S.issueCredentials, {
      comment: 'AssumeRole with the session policy; IssueThrottledError is retried',
      lambdaFunction: fns.issue,
      payload: sfn.TaskInput.fromObject({ requestId }),
      payloadResponseOnly: true,
      resultPath: '$.issue',
      // replaced by the retry below, which also bounds Lambda's own transient failures
      retryOnServiceExceptions: false,
    });
    issueCredentials
      .addRetry({
        errors: [ISSUE_THROTTLED_ERROR, ...LAMBDA_TRANSIENT_ERRORS],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 3,
        maxDelay: Duration.seconds(30),
        jitterStrategy: sfn.JitterType.FULL,
      })
      .addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
      .next(
        new sfn.Choice(this, S.credentialsIssued)
          .when(sfn.Condition.booleanEquals('$.issue.issued', true), waitUntilExpiry)
          .otherwise(done),
      );

    const awaitApproval = new tasks.LambdaInvoke(this, S.awaitApproval, {
      comment: 'Notifies the approvers and waits for SendTaskSuccess {decision}',
      lambdaFunction: fns.awaitApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ requestId, taskToken: sfn.JsonPath.taskToken }),
      // resolved against the state input (not the payload), as Step Functions does
      taskTimeout: sfn.Timeout.at('$.evaluation.approvalTimeoutSeconds'),
      resultPath: '$.approval',
    });
    awaitApproval
      .addCatch(markTimedOut, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.error' })
      .addCatch(markFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
      .next(
        new sfn.Choice(this, S.approvalDecision)
          .when(sfn.Condition.stringEquals('$.approval.decision', 'approved'), issueCredentials)
          .otherwise(done),
      );

    const evaluate = new tasks.LambdaInvoke(this, S.evaluate, {
      comment: 'Applies the auto-approve rules and says where the request goes',
      lambdaFunction: fns.evaluate,
      payload: sfn.TaskInput.fromObject({ requestId }),
      payloadResponseOnly: true,
      resultPath: '$.evaluation',
    });
    evaluate
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
