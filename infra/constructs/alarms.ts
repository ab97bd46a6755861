/**
 * The alarms that say jitvend needs a human: approval workflow executions that failed,
 * credentials that could not be issued, a 5xx rate on the API, throttling (Lambda and
 * DynamoDB), and audit stream batches in the dead-letter queue. Each notifies the SNS topic
 * when one is given (alarm and back to OK); without one they still show in the console.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
  topic?: sns.ITopic;
  /** alarm when more than this share of API requests in 5 minutes are 5xx @default 5 (%) */
  serverErrorPercent?: number;
}

const PERIOD = Duration.minutes(5);
/** CloudWatch lets one alarm's math expression read at most 10 metrics. */
const METRICS_PER_ALARM = 10;

export class JitVendAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: JitVendAlarmsProps) {
    super(scope, id);
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
    }
  }

  private add(
    id: string,
    options: Pick<cloudwatch.AlarmProps, 'alarmDescription' | 'metric' | 'threshold'> &
      Partial<Pick<cloudwatch.AlarmProps, 'comparisonOperator'>>,
  ): void {
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      }),
    );
  }
}
