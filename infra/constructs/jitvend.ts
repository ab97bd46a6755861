/**
 * JitVend: the whole jitvend service as one construct, composed of one construct per feature:
 *
 *   JitVendKeys ─ RequestsTable ─ JitVendSecrets ─ ApprovalEmail? ─ AccessLogsBucket
 *   JitVendFunction × (route handlers of functions/routes.ts + workflow steps + audit stream?)
 *   ApprovalWorkflow (Step Functions) ─ JitVendApi (HTTP API) ─ AuditSink ─ UsageTrail? ─ JitVendAlarms
 *
 * Two references would make CloudFormation cycles, and are built as plain strings instead:
 * - every function gets STATE_MACHINE_ARN, but the state machine references the step
 *   functions (and each function depends on its role's policy, which names the machine):
 *   the machine gets a name fixed at synth time and its ARN is formatted from that name;
 * - every function gets PUBLIC_URL, the API's URL: the API resource itself references no
 *   function (routes and integrations are separate resources that do), so the URL built
 *   from the API id (`https://<apiId>.execute-api.<region>.<urlSuffix>`) makes no cycle; with a
 *   custom domain in front, pass `publicUrl` instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, CfnOutput, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROUTES, type RouteSpec } from '../../functions/routes.ts';
import { STEPS } from '../../functions/steps.ts';
import type { LoadedConfig } from '../../shared/config.ts';
import { WORKFLOW_STEP_NAMES, type WorkflowStepName } from '../../shared/domain/workflow-contract.ts';
import { accessOf, ISSUING_HANDLER, ISSUING_ROLE_HANDLERS } from '../access.ts';
import { type JitvendConfigInput, PROJECT_ROOT, resolveConfig } from '../bundle-inputs.ts';
import { acknowledge, wildcardResourceFinding } from '../nag.ts';
import { AccessLogsBucket } from './access-logs.ts';
import { JitVendAlarms } from './alarms.ts';
import { type ApiThrottle, JitVendApi, pascal } from './api.ts';
import { AuditSink } from './audit.ts';
import { ApprovalEmail, type ApprovalEmailProps } from './email.ts';
import {
  type CapabilityResources,
  grantCapability,
  JitVendFunction,
  type JitVendFunctionProps,
  stateMachineArnOf,
} from './functions.ts';
import { JitVendKeys } from './keys.ts';
import { JitVendSecrets } from './secrets.ts';
import { RequestsTable } from './storage.ts';
import { dataEventsFromGuardrails, type ExistingTrail, UsageTrail, type VendedDataEvents } from './trail.ts';
import { ApprovalWorkflow } from './workflow.ts';

export interface JitVendProps {
  /** the config file (path, relative to the working directory) or its content; validated at synth */
  config: string | JitvendConfigInput;
  /** Slack approvals: a secret `{signingSecret, botToken}` is created unless given */
  slack?: { channel?: string; secret?: secretsmanager.ISecret };
  /** email approvals through SES */
  email?: ApprovalEmailProps;
  /** Object Lock (governance) retention of each audit object @default 365 days */
  auditRetention?: Duration;
  /** where alarms notify (alarm and OK) */
  alarmTopic?: sns.ITopic;
  /**
   * CloudTrail: a trail of jitvend's own (`{ dataEvents }`), or an existing trail such as the
   * organisation's (`{ existing }`: GET /usage reads its bucket). @default a trail of its own
   */
  trail?:
    | {
        dataEvents?: boolean;
        /**
         * Record the data events (DynamoDB item calls, S3 object calls) of the vended resources,
         * so GET /requests/{id}/usage shows them: `true` derives them from the profiles'
         * guardrails where concrete (dataEventsFromGuardrails), or list them. Costs $0.10 per
         * 100,000 data events (AWS CloudTrail pricing). @default false
         */
        vendedDataEvents?: boolean | VendedDataEvents;
      }
    | { existing: ExistingTrail };
  /** regions whose CloudTrail event history GET /requests/{id}/usage searches @default this region */
  usageRegions?: string[];
  /** the URL approvers and links use, e.g. a custom domain in front of the API @default the API's URL */
  publicUrl?: string;
  /** @default 50 requests per second, bursts of 100 */
  apiThrottle?: ApiThrottle;
  /** an API Gateway JWT authorizer on the oidc routes too (the config must trust exactly one issuer) */
  jwtAuthorizer?: boolean;
  /**
   * The audit stream consumer, a handler taking DynamoDB stream batches; `false` for none.
   * @default functions/audit-stream/handler.ts when that file exists
   */
  auditStream?: { entry: string } | false;
  /** where the audit stream consumer also publishes each audit event (EventBridge) */
  auditEventBus?: events.IEventBus;
  /** a fixed name for the issuing role (its ARN goes in target roles' trust policies) */
  issuerRoleName?: string;
  /** @default one year */
  logRetention?: logs.RetentionDays;
  /** for keys, table, buckets, secrets and log groups @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
  /** bundle the AWS SDK v3 into each function instead of using the Lambda runtime's @default false */
  bundleAwsSdk?: boolean;
  /** the routes to serve @default ROUTES of functions/routes.ts */
  routes?: readonly RouteSpec[];
}

/** The handler folder of a workflow step, from the step table (functions/steps.ts). */
export function stepHandler(step: WorkflowStepName): string {
  return STEPS[step].handler;
}

export const DEFAULT_AUDIT_STREAM_ENTRY = join(PROJECT_ROOT, 'functions', 'audit-stream', 'handler.ts');

export class JitVend extends Construct {
  readonly config: LoadedConfig;
  readonly keys: JitVendKeys;
  readonly table: RequestsTable;
  readonly secrets: JitVendSecrets;
  readonly api: JitVendApi;
  readonly workflow: ApprovalWorkflow;
  readonly auditSink: AuditSink;
  readonly trail?: UsageTrail;
  readonly alarms: JitVendAlarms;
  /** every function, by handler folder */
  readonly functions: ReadonlyMap<string, JitVendFunction>;
  /** the issue function's role: the only principal target roles trust */
  readonly issuerRole: JitVendFunction['role'];
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: JitVendProps) {
    super(scope, id);
    // server access logs are delivered by bucket policy (the buckets have ACLs disabled)
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { path: configPath, config } = resolveConfig(props.config);
    this.config = config;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const routes = props.routes ?? ROUTES;

    this.keys = new JitVendKeys(this, 'Keys', { removalPolicy });
    this.table = new RequestsTable(this, 'Storage', { encryptionKey: this.keys.data, removalPolicy });
    this.secrets = new JitVendSecrets(this, 'Secrets', {
      encryptionKey: this.keys.data,
      slack: props.slack !== undefined,
      ...(props.slack?.secret ? { slackSecret: props.slack.secret } : {}),
    });
    const email = props.email ? new ApprovalEmail(this, 'Email', props.email) : undefined;
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', { removalPolicy });
    this.auditSink = new AuditSink(this, 'Audit', {
      encryptionKey: this.keys.data,
      accessLogs: accessLogs.bucket,
      ...(props.auditRetention ? { retention: props.auditRetention } : {}),
      removalPolicy,
    });
    let existingTrail: ExistingTrail | undefined;
    if (props.trail && 'existing' in props.trail) {
      existingTrail = props.trail.existing;
    } else {
      const vended = props.trail?.vendedDataEvents;
      this.trail = new UsageTrail(this, 'Trail', {
        accessLogs: accessLogs.bucket,
        dataEvents: props.trail?.dataEvents ?? false,
        ...(vended
          ? { vendedDataEvents: vended === true ? dataEventsFromGuardrails(config.profiles) : vended }
          : {}),
        removalPolicy,
      });
    }

    const stateMachineName = `${Names.uniqueResourceName(this, { maxLength: 60, separator: '-' })}-approval`;
    const stateMachineArn = stateMachineArnOf(this, stateMachineName);
    const resources: CapabilityResources = {
      table: this.table.table,
      dataKey: this.keys.data,
      credentialsKey: this.keys.credentials,
      stateMachineArn,
      roleArns: [...new Set(Object.values(config.profiles).map((p) => p.roleArn))].sort(),
      ...(this.secrets.slack ? { slackSecret: this.secrets.slack } : {}),
      ...(props.slack?.channel ? { slackChannel: props.slack.channel } : {}),
      approvalTokenKey: this.secrets.approvalTokenKey,
      ...(email
        ? { email: { from: email.from, configurationSetName: email.configurationSet.configurationSetName } }
        : {}),
      ...(this.trail
        ? { trail: { bucket: this.trail.bucket, prefix: '', key: this.trail.key } }
        : existingTrail
          ? { trail: { prefix: '', ...existingTrail } }
          : {}),
      ...(props.usageRegions ? { usageRegions: props.usageRegions } : {}),
    };
    const common: Omit<JitVendFunctionProps, 'handler' | 'timeout'> = {
      configPath,
      environment: {
        TABLE_NAME: this.table.table.tableName,
        STATE_MACHINE_ARN: stateMachineArn,
        CREDENTIALS_KEY_ID: this.keys.credentials.keyArn,
      },
      logsKey: this.keys.data,
      logRetention,
      memorySize: 1024,
      bundleAwsSdk: props.bundleAwsSdk ?? false,
    };

    const functions = new Map<string, JitVendFunction>();
    const build = (handler: string, timeout: Duration, extra: Partial<JitVendFunctionProps> = {}) => {
      const fn = new JitVendFunction(this, pascal(handler), { ...common, handler, timeout, ...extra });
      const access = accessOf(handler);
      if (!access.listed) {
        Annotations.of(fn).addWarningV2(
          'jitvend:unlistedHandler',
          `jitvend: handler ${handler} has no entry in infra/access.ts; it gets the default access (${access.capabilities.join(', ')})`,
        );
      }
      // a function sharing the issuing role holds only capabilities the role already has
      const held = extra.role ? accessOf(ISSUING_HANDLER).capabilities : [];
      for (const capability of access.capabilities)
        if (!held.includes(capability)) grantCapability(fn, capability, resources);
      functions.set(handler, fn);
      return fn;
    };
    // API integrations time out at 30 s; GET /requests/{id}?waitSeconds holds up to 20 s
    const routeHandlers = [...new Set(routes.map((route) => route.handler))];
    for (const handler of routeHandlers.filter((h) => !ISSUING_ROLE_HANDLERS.has(h)))
      build(handler, Duration.seconds(25));
    const steps = {} as Record<WorkflowStepName, lambda.IFunction>;
    for (const step of WORKFLOW_STEP_NAMES) {
      const extra = step === 'issue' && props.issuerRoleName ? { roleName: props.issuerRoleName } : {};
      steps[step] = build(stepHandler(step), Duration.seconds(60), extra).function;
    }
    const issue = functions.get(stepHandler('issue'))!;
    this.issuerRole = issue.role;
    // routes that mint sessions (renew) run as the issuing role: target roles trust it alone
    for (const handler of routeHandlers.filter((h) => ISSUING_ROLE_HANDLERS.has(h)))
      build(handler, Duration.seconds(25), { role: issue.role });

    const auditEntry =
      props.auditStream === false
        ? undefined
        : (props.auditStream?.entry ??
          (existsSync(DEFAULT_AUDIT_STREAM_ENTRY) ? DEFAULT_AUDIT_STREAM_ENTRY : undefined));
    if (auditEntry) {
      // the audit bucket is under Object Lock, which refuses a put without Content-MD5 or an
      // x-amz-checksum-* header: the consumer bundles its own (pinned) S3 client instead of
      // the Lambda runtime's, whose version nobody pins (and sets the checksum explicitly too)
      const consumer = build('audit-stream', Duration.seconds(60), { entry: auditEntry, bundleAwsSdk: true });
      this.auditSink.attachConsumer(consumer, this.table.table, props.auditEventBus);
    }

    const workflowLogs = new logs.LogGroup(this, 'WorkflowLogs', {
      retention: logRetention,
      encryptionKey: this.keys.data,
      removalPolicy,
    });
    this.workflow = new ApprovalWorkflow(this, 'Workflow', {
      functions: steps,
      stateMachineName,
      tracingEnabled: true,
      logs: { destination: workflowLogs, level: sfn.LogLevel.ALL },
    });
    acknowledge(this.workflow.stateMachine.role, [
      ...WORKFLOW_STEP_NAMES.map((step) => ({
        id: wildcardResourceFinding(this, `${steps[step].functionArn}:*`),
        reason: `LambdaInvoke lets the state machine invoke the ${step} step function's versions and aliases (<arn>:*), that function only`,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'execution logging (logs:CreateLogDelivery and the other log delivery actions) and X-Ray tracing support no resource-level permissions',
      },
    ]);

    const jwtIssuer = props.jwtAuthorizer ? singleIssuer(config) : undefined;
    this.api = new JitVendApi(this, 'Api', {
      routes,
      functions: new Map([...functions].map(([handler, fn]) => [handler, fn.function])),
      logsKey: this.keys.data,
      logRetention,
      ...(props.apiThrottle ? { throttle: props.apiThrottle } : {}),
      ...(jwtIssuer ? { jwtAuthorizer: jwtIssuer } : {}),
      removalPolicy,
    });
    this.publicUrl = props.publicUrl ?? this.api.url;
    for (const fn of functions.values()) fn.addEnvironment('PUBLIC_URL', this.publicUrl);
    this.functions = functions;

    this.alarms = new JitVendAlarms(this, 'Alarms', {
      stateMachine: this.workflow.stateMachine,
      issueFunction: issue.function,
      httpApi: this.api.httpApi,
      functions: [...functions.values()].map((fn) => fn.function),
      table: this.table.table,
      ...(this.auditSink.deadLetterQueue ? { deadLetterQueue: this.auditSink.deadLetterQueue } : {}),
      cleanupFunctions: [steps.markFailed, steps.markTimedOut, steps.expire],
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'jitvend API (JITVEND_API for the CLI)',
      value: this.publicUrl,
    });
    new CfnOutput(this, 'IssuerRoleArn', {
      description: 'the role target roles must trust (JitVendTargetRole issuerRoleArn)',
      value: this.issuerRole.roleArn,
    });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachineArn });
    if (this.secrets.slack) {
      new CfnOutput(this, 'SlackSecretArn', {
        description: 'put the Slack app signing secret and bot token here (docs/slack.md)',
        value: this.secrets.slack.secretArn,
      });
    }
  }
}

function singleIssuer(config: LoadedConfig): { issuer: string; audience: string[] } {
  if (config.issuers.length !== 1) {
    throw new Error(
      `JitVend jwtAuthorizer: an API Gateway JWT authorizer takes one issuer, the config trusts ${config.issuers.length}; verify in the handlers only (the default)`,
    );
  }
  const [only] = config.issuers;
  return { issuer: only!.issuer, audience: [only!.audience].flat() };
}
