/**
 * The alarms that say jitvend needs a human: approval workflow executions that failed,
 * credentials that could not be issued, a 5xx rate on the API, throttling (Lambda and
 * DynamoDB), and audit stream batches in the dead-letter queue. Each notifies the SNS topic
 * when one is given (alarm and back to OK); without one they still show in the console.
 *
 * A topic policy replaces SNS's default one (a CDK topic with `enforceSSL` gets one holding only
 * the TLS Deny), and then CloudWatch may not publish: the alarm history says "... is not
 * authorized to perform: SNS:Publish". So the alarms allow themselves on the topic: the
 * `cloudwatch.amazonaws.com` service principal may `sns:Publish`, only for this account
 * (`aws:SourceAccount`) and these alarms (`aws:SourceArn`), as the Amazon SNS developer guide's
 * access control examples scope service principals (confused deputy). The alarm names are fixed
 * at synth time, so their ARNs are plain strings and a topic in another stack needs no
 * reference back to this one.
 */
import { Annotations, ArnFormat, Duration, Names, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface JitVendAlarmsProps {
  stateMachine: sfn.IStateMachine;
  issueFunction: lambda.IFunction;
  httpApi: apigwv2.IHttpApi;
  functions: readonly lambda.IFunction[];
  table: dynamodb.ITable;
  deadLetterQueue?: sqs.IQueue;
  /**
   * The workflow's clean-up step functions (MarkFailed, MarkTimedOut, Expire): they retry
   * every error, then loop; an alarm says when they keep failing.
   */
  cleanupFunctions?: readonly lambda.IFunction[];
  topic?: sns.ITopic;
  /** alarm when more than this share of API requests in 5 minutes are 5xx @default 5 (%) */
  serverErrorPercent?: number;
}

const PERIOD = Duration.minutes(5);
/** CloudWatch lets one alarm's math expression read at most 10 metrics. */
const METRICS_PER_ALARM = 10;

export class JitVendAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** the ARN of every alarm (names fixed at synth time) */
  readonly alarmArns: string[] = [];
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: JitVendAlarmsProps) {
    super(scope, id);
    this.namePrefix = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });
    const sum = { statistic: cloudwatch.Stats.SUM, period: PERIOD };

    this.add('WorkflowExecutionsFailed', {
      alarmDescription:
        'jitvend: approval workflow executions failed (a request ended in failed, see MarkFailed)',
      metric: props.stateMachine.metricFailed(sum),
      threshold: 1,
    });
    this.add('IssueFailures', {
      alarmDescription:
        'jitvend: the issue function failed (AssumeRole refused, throttled past its retries, or a bug)',
      metric: props.issueFunction.metricErrors(sum),
      threshold: 1,
    });
    const percent = props.serverErrorPercent ?? 5;
    this.add('Api5xxRate', {
      alarmDescription: `jitvend: more than ${percent}% of API requests answered 5xx in 5 minutes`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: props.httpApi.metricServerError(sum),
          requests: props.httpApi.metricCount(sum),
        },
        label: 'API 5xx %',
        period: PERIOD,
      }),
      threshold: percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    for (let start = 0; start < props.functions.length; start += METRICS_PER_ALARM) {
      const group = props.functions.slice(start, start + METRICS_PER_ALARM);
      const usingMetrics = Object.fromEntries(group.map((fn, i) => [`t${i}`, fn.metricThrottles(sum)]));
      const n = start / METRICS_PER_ALARM + 1;
      this.add(`LambdaThrottles${n}`, {
        alarmDescription: `jitvend: Lambda throttled invocations of functions ${start + 1}-${start + group.length}`,
        metric: new cloudwatch.MathExpression({
          expression: Object.keys(usingMetrics).join(' + '),
          usingMetrics,
          label: 'throttles',
          period: PERIOD,
        }),
        threshold: 1,
      });
    }
    this.add('TableThrottles', {
      alarmDescription: 'jitvend: DynamoDB throttled requests on the requests table',
      metric: props.table.metricThrottledRequestsForOperations({
        operations: [
          dynamodb.Operation.GET_ITEM,
          dynamodb.Operation.QUERY,
          dynamodb.Operation.PUT_ITEM,
          dynamodb.Operation.UPDATE_ITEM,
          dynamodb.Operation.DELETE_ITEM,
          dynamodb.Operation.TRANSACT_WRITE_ITEMS,
        ],
        ...sum,
      }),
      threshold: 1,
    });
    if (props.cleanupFunctions?.length) {
      const usingMetrics = Object.fromEntries(
        props.cleanupFunctions.slice(0, METRICS_PER_ALARM).map((fn, i) => [`e${i}`, fn.metricErrors(sum)]),
      );
      this.add('WorkflowCleanupFailing', {
        alarmDescription:
          'jitvend: a workflow clean-up step (MarkFailed, MarkTimedOut, Expire) keeps failing: a request may stay non-terminal or a revocation deny on its role until it succeeds (it retries, then again every hour)',
        metric: new cloudwatch.MathExpression({
          expression: Object.keys(usingMetrics).join(' + '),
          usingMetrics,
          label: 'clean-up step errors',
          period: PERIOD,
        }),
        // the first five attempts of one clean-up step fall within about 75 s
        threshold: 5,
      });
    }
    if (props.deadLetterQueue) {
      this.add('AuditDeadLetters', {
        alarmDescription:
          'jitvend: audit stream batches could not be written to the audit bucket (dead-letter queue)',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: PERIOD,
        }),
        threshold: 1,
      });
    }
    if (props.topic) {
      const action = new actions.SnsAction(props.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.allowPublishTo(props.topic);
    }
  }

  /** The topic policy statement that lets these alarms (and only them) publish to `topic`. */
  publishStatement(topic: sns.ITopic): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'JitvendAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        ArnLike: { 'aws:SourceArn': [...this.alarmArns] },
      },
    });
  }

  /**
   * Adds publishStatement to the topic's policy; a topic imported by ARN has no policy here:
   * the synth then warns with the statement to add where the topic is managed.
   */
  allowPublishTo(topic: sns.ITopic): void {
    const statement = this.publishStatement(topic);
    if (!topic.addToResourcePolicy(statement).statementAdded) {
      Annotations.of(this).addWarningV2(
        'jitvend:alarmTopicPolicy',
        `the alarm topic is imported: add to its policy an Allow of sns:Publish for cloudwatch.amazonaws.com with aws:SourceAccount ${Stack.of(this).account} and aws:SourceArn ${this.namePrefix}-* alarms, or no alarm can be delivered`,
      );
    }
  }

  private add(
    id: string,
    options: Pick<cloudwatch.AlarmProps, 'alarmDescription' | 'metric' | 'threshold'> &
      Partial<Pick<cloudwatch.AlarmProps, 'comparisonOperator'>>,
  ): void {
    const alarmName = `${this.namePrefix}-${id}`;
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        alarmName,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      }),
    );
    this.alarmArns.push(
      Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: alarmName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
  }
}
