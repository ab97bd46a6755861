/**
 * The AWS path read against AWS's documents, on the synthesized templates of the sample app:
 * - the alarm topic lets CloudWatch alarms publish (Amazon SNS developer guide, access control
 *   examples; AWS re:Post knowledge center "CloudWatch alarm does not send SNS notifications":
 *   "Allow_Publish_Alarms" for cloudwatch.amazonaws.com, scoped with aws:SourceArn);
 * - the audit consumer bundles its own S3 client (Object Lock needs Content-MD5 or a checksum on
 *   every put: Amazon S3 API Reference, PutObject; S3 User Guide, "Uploading objects to an
 *   Object Lock enabled bucket");
 * - the trail can record the vended resources' data events with advanced event selectors
 *   (AWS CloudFormation User Guide, "AWS::CloudTrail::Trail AdvancedFieldSelector"; AWS
 *   CloudTrail pricing: data events $0.10 per 100,000).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSampleApp } from '../../infra/app.ts';
import { PROJECT_ROOT } from '../../infra/bundle-inputs.ts';
import { JitVendAlarms } from '../../infra/constructs/alarms.ts';
import { JitVendFunction } from '../../infra/constructs/functions.ts';
import { dataEventsFromGuardrails, vendedDataEventSelectors } from '../../infra/constructs/trail.ts';
import type { CfnTemplate, Statement } from './template-helpers.ts';

const outdir = mkdtempSync(join(tmpdir(), 'jitvend-aws-path-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const sample = buildSampleApp({
  bundling: false,
  nag: false,
  outdir,
  jitvend: { trail: { vendedDataEvents: true } },
});
const assembly = sample.app.synth();
const templateOf = (name: string) => assembly.getStackByName(name).template as CfnTemplate;
const alerts = templateOf('JitvendAlerts');
const jitvend = templateOf('Jitvend');

describe('alarm topic policy (Amazon SNS developer guide: access control for CloudWatch alarms)', () => {
  const topicPolicy = Object.values(alerts.Resources!).find((r) => r.Type === 'AWS::SNS::TopicPolicy')!;
  const statements = (topicPolicy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
  const alarmNames = Object.values(jitvend.Resources!)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties!.AlarmName as string);

  it('keeps the TLS-only Deny and adds an Allow for CloudWatch alarms to publish', () => {
    expect(
      statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('SecureTransport')),
    ).toBe(true);
    const allow = statements.find((s) => s.Sid === 'JitvendAlarmsPublish')!;
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
    });
  });

  it('scopes it to this account (aws:SourceAccount) and exactly jitvend’s alarms (aws:SourceArn)', () => {
    const allow = statements.find((s) => s.Sid === 'JitvendAlarmsPublish')!;
    const condition = allow.Condition as {
      StringEquals: Record<string, string>;
      ArnLike: Record<string, unknown[]>;
    };
    expect(condition.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
    const arns = JSON.stringify(condition.ArnLike['aws:SourceArn']);
    expect(alarmNames.length).toBeGreaterThanOrEqual(6);
    for (const name of alarmNames) expect(arns).toContain(`:cloudwatch:us-east-1:123456789012:alarm:${name}`);
    expect(condition.ArnLike['aws:SourceArn']).toHaveLength(alarmNames.length);
  });

  it('needs no reference from the alerts stack back to jitvend (the alarm names are fixed strings)', () => {
    expect(JSON.stringify(alerts)).not.toContain('Fn::ImportValue');
  });

  it('alarms when a workflow clean-up step keeps failing (a request could stay non-terminal)', () => {
    const alarm = Object.values(jitvend.Resources!).find(
      (r) =>
        r.Type === 'AWS::CloudWatch::Alarm' &&
        String(r.Properties!.AlarmName).endsWith('-WorkflowCleanupFailing'),
    )!;
    expect(alarm.Properties).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const metrics = alarm.Properties!.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[];
    expect(metrics.filter((m) => m.MetricStat?.Metric.MetricName === 'Errors')).toHaveLength(3);
  });

  it('every alarm notifies the topic on alarm and on OK', () => {
    for (const alarm of Object.values(jitvend.Resources!).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm',
    )) {
      expect(alarm.Properties!.AlarmActions).toHaveLength(1);
      expect(alarm.Properties!.OKActions).toHaveLength(1);
    }
  });

  it('warns at synth when the topic is imported (its policy is managed elsewhere)', () => {
    const stack = new Stack(new App(), 'Imported', { env: { account: '123456789012', region: 'us-east-1' } });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    });
    new JitVendAlarms(stack, 'Alarms', {
      stateMachine: new sfn.StateMachine(stack, 'M', {
        definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'P')),
      }),
      issueFunction: fn,
      httpApi: new apigwv2.HttpApi(stack, 'Api'),
      functions: [fn],
      table: new dynamodb.Table(stack, 'T', {
        partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      }),
      topic: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:us-east-1:123456789012:ops'),
    });
    Annotations.fromStack(stack).hasWarning(
      '/Imported/Alarms',
      Match.stringLikeRegexp('add to its policy an Allow of sns:Publish for cloudwatch.amazonaws.com'),
    );
  });
});

describe('the audit consumer’s S3 client (Object Lock needs a checksum on every put)', () => {
  it('bundles the AWS SDK into the audit stream function only (pinned by package-lock.json)', () => {
    const functions = sample.jitvend.jitvend.functions;
    expect(functions.get('audit-stream')!.bundlesAwsSdk).toBe(true);
    for (const [handler, fn] of functions)
      if (handler !== 'audit-stream') expect(fn.bundlesAwsSdk).toBe(false);
  });

  it('the bundle carries its own S3 client instead of requiring the runtime’s', { timeout: 120_000 }, () => {
    const app = new App({
      outdir: join(outdir, 'bundle'),
      context: { 'aws:cdk:enable-asset-metadata': true },
    });
    const stack = new Stack(app, 'AuditBundle', { env: { account: '123456789012', region: 'us-east-1' } });
    new JitVendFunction(stack, 'Audit', {
      handler: 'audit-stream',
      configPath: join(PROJECT_ROOT, 'jitvend.config.yaml'),
      environment: {},
      logsKey: new kms.Key(stack, 'Key'),
      logRetention: logs.RetentionDays.ONE_WEEK,
      timeout: Duration.seconds(10),
      memorySize: 1024,
      bundleAwsSdk: true,
    });
    const built = app.synth();
    const template = built.getStackByName('AuditBundle').template as CfnTemplate;
    const fn = Object.values(template.Resources!).find((r) => r.Type === 'AWS::Lambda::Function')!;
    const dir = join(
      built.directory,
      (fn as { Metadata?: Record<string, string> }).Metadata!['aws:asset:path']!,
    );
    const bundle = readFileSync(join(dir, 'index.js'), 'utf8');
    expect(bundle).not.toMatch(/require\("@aws-sdk\/client-s3"\)/);
    expect(bundle).toContain('x-amz-checksum-sha256');
    expect(bundle).toContain('PutObjectCommand');
  });
});

describe('data events of the vended resources (CloudTrail advanced event selectors)', () => {
  const trail = Object.values(jitvend.Resources!).find((r) => r.Type === 'AWS::CloudTrail::Trail')!;

  it('selects management events and the data events of the guardrails’ concrete tables and objects', () => {
    expect(trail.Properties!.EventSelectors).toBeUndefined();
    expect(trail.Properties!.AdvancedEventSelectors).toEqual([
      { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      {
        Name: 'Vended DynamoDB tables',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
          {
            Field: 'resources.ARN',
            StartsWith: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-'],
          },
        ],
      },
      {
        Name: 'Vended S3 objects',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::acme-orders-it-fixtures/'] },
        ],
      },
    ]);
  });

  it.each([
    ['a wildcard account', 'arn:aws:dynamodb:us-east-1:*:table/t', undefined],
    ['a wildcard region', 'arn:aws:dynamodb:*:123456789012:table/t', undefined],
    ['every table of the account', 'arn:aws:dynamodb:us-east-1:123456789012:table/*', undefined],
    [
      'a table index',
      'arn:aws:dynamodb:us-east-1:123456789012:table/t/index/*',
      'arn:aws:dynamodb:us-east-1:123456789012:table/t',
    ],
    ['a wildcard bucket', 'arn:aws:s3:::acme-*/x', undefined],
    ['a bucket ARN', 'arn:aws:s3:::acme-fixtures', 'arn:aws:s3:::acme-fixtures/'],
    ['another service', 'arn:aws:sqs:us-east-1:123456789012:q', undefined],
  ])('derives nothing too broad from %s', (_, resource, expected) => {
    const events = dataEventsFromGuardrails({ p: { allow: [{ resources: [resource] }] } });
    expect([...(events.dynamodbTables ?? []), ...(events.s3Objects ?? [])]).toEqual(
      expected ? [expected] : [],
    );
  });

  it('lists given resources too, keeping only the shortest of overlapping prefixes', () => {
    const selectors = vendedDataEventSelectors({
      dynamodbTables: [
        'arn:aws:dynamodb:eu-west-1:111122223333:table/ci-*',
        'arn:aws:dynamodb:eu-west-1:111122223333:table/ci-orders',
      ],
    });
    expect(selectors[1]!.fieldSelectors).toContainEqual({
      field: 'resources.ARN',
      startsWith: ['arn:aws:dynamodb:eu-west-1:111122223333:table/ci-'],
    });
  });

  it('without the option, the trail keeps its basic selector (management events only, no charge)', () => {
    const plain = buildSampleApp({ bundling: false, nag: false, outdir: join(outdir, 'plain') });
    const template = Template.fromStack(plain.jitvend);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      EventSelectors: [Match.objectLike({ IncludeManagementEvents: true, ReadWriteType: 'All' })],
      AdvancedEventSelectors: Match.absent(),
    });
  });
});
