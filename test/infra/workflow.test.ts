/**
 * The approval workflow construct, asserted on the synthesized template (fine-grained,
 * no whole-template snapshot), and the definition extracted from it for local use.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { ApprovalWorkflow } from '../../infra/constructs/workflow.ts';
import {
  localWorkflowDefinition,
  type WorkflowDefinition,
  workflowDefinitionFromTemplate,
} from '../../infra/workflow-definition.ts';
import { WORKFLOW_STEP_NAMES, type WorkflowStepName } from '../../shared/domain/workflow-contract.ts';

function stepFunctions(stack: Stack, prefix: string) {
  const functions = {} as Record<WorkflowStepName, lambda.Function>;
  for (const step of WORKFLOW_STEP_NAMES) {
    functions[step] = new lambda.Function(stack, `${prefix}${step}`, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    });
  }
  return functions;
}

function workflowStack(options: { withLogs?: boolean } = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const functions = stepFunctions(stack, 'Step');
  const workflow = new ApprovalWorkflow(stack, 'Approval', {
    functions,
    ...(options.withLogs
      ? { logs: { destination: new logs.LogGroup(stack, 'WorkflowLogs') }, tracingEnabled: true }
      : {}),
  });
  return { stack, workflow, functions, template: Template.fromStack(stack) };
}

const { stack, functions, template } = workflowStack();
const definition: WorkflowDefinition = workflowDefinitionFromTemplate(template.toJSON());
const state = (name: string) => definition.States[name] as Record<string, unknown>;
const arnOf = (step: WorkflowStepName) =>
  `arn:aws:lambda:us-east-1:123456789012:function:jitvend-step-${step}`;

describe('ApprovalWorkflow: the state machine', () => {
  it('is one Standard state machine', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
  });

  it('names its states as the workflow reads', () => {
    expect(definition.StartAt).toBe('Evaluate');
    expect(Object.keys(definition.States).sort()).toEqual(
      [
        'ApprovalDecision',
        'ApprovalRoute',
        'AwaitApproval',
        'CredentialsIssued',
        'Done',
        'Evaluate',
        'Expire',
        'ExpireAgain',
        'Failed',
        'FailedAfterIssue',
        'IssueCredentials',
        'MarkFailed',
        'MarkTimedOut',
        'RetryExpireLater',
        'RetryMarkFailedLater',
        'WaitToExpireAgain',
        'WaitUntilExpiry',
      ].sort(),
    );
  });

  it('tags each step function with its step, and each Task invokes its own step function', () => {
    for (const step of WORKFLOW_STEP_NAMES) {
      const logicalId = stack.getLogicalId(functions[step].node.defaultChild as lambda.CfnFunction);
      expect(template.toJSON().Resources[logicalId].Properties.Tags).toContainEqual({
        Key: 'jitvend:workflow-step',
        Value: step,
      });
    }
    expect(state('Evaluate').Resource).toBe(arnOf('evaluate'));
    expect(state('IssueCredentials').Resource).toBe(arnOf('issue'));
    expect(state('MarkFailed').Resource).toBe(arnOf('markFailed'));
    expect(state('MarkTimedOut').Resource).toBe(arnOf('markTimedOut'));
    expect(state('Expire').Resource).toBe(arnOf('expire'));
    expect((state('AwaitApproval').Parameters as Record<string, unknown>).FunctionName).toBe(
      arnOf('awaitApproval'),
    );
  });

  it('lets the state machine invoke every step function', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const invoked = JSON.stringify(
      statements.filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction')),
    );
    for (const step of WORKFLOW_STEP_NAMES) {
      expect(invoked).toContain(stack.getLogicalId(functions[step].node.defaultChild as lambda.CfnFunction));
    }
  });

  it('evaluates into $.evaluation and routes on $.evaluation.route', () => {
    expect(state('Evaluate')).toMatchObject({
      Type: 'Task',
      Parameters: { 'requestId.$': '$.requestId' },
      ResultPath: '$.evaluation',
      Next: 'ApprovalRoute',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' }],
    });
    expect(state('ApprovalRoute').Choices).toEqual([
      { Variable: '$.evaluation.route', StringEquals: 'approved', Next: 'IssueCredentials' },
      { Variable: '$.evaluation.route', StringEquals: 'human', Next: 'AwaitApproval' },
      { Variable: '$.evaluation.route', StringEquals: 'closed', Next: 'Done' },
    ]);
  });
});

describe('ApprovalWorkflow: AwaitApproval', () => {
  it('invokes its function with .waitForTaskToken and the token in the payload', () => {
    expect(state('AwaitApproval')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { Payload: { 'requestId.$': '$.requestId', 'taskToken.$': '$$.Task.Token' } },
      ResultPath: '$.approval',
      Next: 'ApprovalDecision',
    });
    // in the template itself, before any token is resolved
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: {
        'Fn::Join': [
          '',
          Match.arrayWith([Match.stringLikeRegexp('"Resource":"arn:$'), { Ref: 'AWS::Partition' }]),
        ],
      },
    });
    expect(JSON.stringify(template.toJSON())).toContain(':states:::lambda:invoke.waitForTaskToken');
  });

  it('times out after $.evaluation.approvalTimeoutSeconds (TimeoutSecondsPath), with no fixed timeout', () => {
    expect(state('AwaitApproval').TimeoutSecondsPath).toBe('$.evaluation.approvalTimeoutSeconds');
    expect(state('AwaitApproval').TimeoutSeconds).toBeUndefined();
  });

  it('catches States.Timeout into MarkTimedOut, anything else into MarkFailed', () => {
    expect(state('AwaitApproval').Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'MarkTimedOut' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' },
    ]);
    expect(state('MarkTimedOut')).toMatchObject({
      Parameters: { 'requestId.$': '$.requestId' },
      Next: 'Done',
    });
    expect(state('Done')).toEqual({ Type: 'Succeed' });
  });

  it('issues only on an approved decision', () => {
    expect(state('ApprovalDecision')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.approval.decision', StringEquals: 'approved', Next: 'IssueCredentials' }],
      Default: 'Done',
    });
  });
});

describe('ApprovalWorkflow: IssueCredentials and expiry', () => {
  it('retries IssueThrottledError 3 times, then Lambda throttling/service errors as every Task does', () => {
    expect(state('IssueCredentials').Retry).toEqual([
      {
        ErrorEquals: ['IssueThrottledError'],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      },
      {
        ErrorEquals: [
          'Lambda.TooManyRequestsException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.ClientExecutionTimeoutException',
        ],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 6,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  it('catches every other error into $.error → MarkFailed → FailedAfterIssue → Failed with that error', () => {
    expect(state('IssueCredentials')).toMatchObject({
      ResultPath: '$.issue',
      Next: 'CredentialsIssued',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' }],
    });
    expect(state('MarkFailed')).toMatchObject({
      Parameters: { 'requestId.$': '$.requestId', 'error.$': '$.error' },
      ResultPath: '$.issue',
      Next: 'FailedAfterIssue',
    });
    // a request found issued after all (credentials minted before the failure) still expires
    expect(state('FailedAfterIssue')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.issue.issued', BooleanEquals: true, Next: 'WaitUntilExpiry' }],
      Default: 'Failed',
    });
    expect(state('Failed')).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('waits until the approval window ends ($.issue.windowEndsAt) when issued, then expires, and again at $.expiry.nextAt while Expire asks', () => {
    expect(state('CredentialsIssued')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.issue.issued', BooleanEquals: true, Next: 'WaitUntilExpiry' }],
      Default: 'Done',
    });
    expect(state('WaitUntilExpiry')).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.issue.windowEndsAt',
      Next: 'Expire',
    });
    expect(state('Expire')).toMatchObject({
      Parameters: { 'requestId.$': '$.requestId' },
      ResultPath: '$.expiry',
      Next: 'ExpireAgain',
    });
    expect(state('ExpireAgain')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.expiry.nextAt', IsPresent: true, Next: 'WaitToExpireAgain' }],
      Default: 'Done',
    });
    expect(state('WaitToExpireAgain')).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.expiry.nextAt',
      Next: 'Expire',
    });
  });

  it('is a valid ASL definition (aws-local-stepfunctions validates ARNs, paths and reachability)', () => {
    expect(() => new StateMachine(structuredClone(definition) as never)).not.toThrow();
  });
});

describe('ApprovalWorkflow: options', () => {
  it('logs executions without execution data (task tokens) and traces when asked', () => {
    const { template: withLogs } = workflowStack({ withLogs: true });
    withLogs.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ IncludeExecutionData: false, Level: 'ERROR' }),
    });
  });

  it('refuses one function for two steps', () => {
    const s = new Stack(new App(), 'Shared');
    const fns = stepFunctions(s, 'Fn');
    expect(() => new ApprovalWorkflow(s, 'W', { functions: { ...fns, expire: fns.issue } })).toThrow(
      /each workflow step needs its own function/,
    );
  });
});

describe('workflowDefinitionFromTemplate', () => {
  it('gives the local stack the same definition as any stack holding the workflow', () => {
    const { template: other } = workflowStack({ withLogs: true });
    expect(workflowDefinitionFromTemplate(other.toJSON())).toEqual(definition);
    expect(localWorkflowDefinition()).toEqual(definition);
  });

  it('caches the synthesized definition and hands out copies', () => {
    const first = localWorkflowDefinition();
    first.StartAt = 'AwaitApproval';
    expect(localWorkflowDefinition().StartAt).toBe('Evaluate');
  });

  it('picks the state machine by logical id, and says when it cannot', () => {
    const json = template.toJSON();
    const [logicalId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(workflowDefinitionFromTemplate(json, logicalId)).toEqual(definition);
    expect(() => workflowDefinitionFromTemplate(json, 'Nope')).toThrow(
      /no AWS::StepFunctions::StateMachine with logical id Nope/,
    );
    const two = { Resources: { ...json.Resources, Copy: json.Resources[logicalId!] } };
    expect(() => workflowDefinitionFromTemplate(two)).toThrow(/exactly one .* found 2: pass its logical id/);
  });

  it('names the token it cannot resolve', () => {
    const bad = {
      Resources: {
        M: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: { 'Fn::Join': ['', ['{"x":"', { 'Fn::ImportValue': 'y' }, '"}']] },
          },
        },
      },
    };
    expect(() => workflowDefinitionFromTemplate(bad)).toThrow(
      /cannot resolve the token \{"Fn::ImportValue":"y"\}/,
    );
  });
});
