/**
 * jitvend's Lambda functions: one NodejsFunction per handler folder (`functions/<name>/
 * handler.ts`), each with its own role holding only the calls its handler makes
 * (infra/access.ts), its own encrypted log group, X-Ray tracing and the Powertools settings.
 *
 * Bundling is the local esbuild (never Docker): minified CommonJS for Node.js 24 on arm64,
 * the AWS SDK v3 taken from the Lambda runtime (as NodejsFunction does by default) unless
 * `bundleAwsSdk`, zod without its locales (infra/bundling/zod-lean.mjs), and next to the
 * handler the config file and a slim copy of the IAM action catalogue (infra/bundle-inputs.ts).
 * CommonJS rather than ESM: esbuild keeps `require` of an external package inside the lazily
 * initialised module that needs it, so a handler's import stays small and the SDK loads on the
 * first call that builds the runtime; an ESM bundle would hoist every SDK import to load time.
 */
import { ArnFormat, type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DENY_POLICY_NAME, MANAGED_DENY_POLICY_PATH, roleAccountOf } from '../../shared/domain/revocation.ts';
import type { EnvironmentName } from '../../shared/environment.ts';
import type { Capability } from '../access.ts';
import { PROJECT_ROOT, slimCatalogueDir } from '../bundle-inputs.ts';
import { acknowledge, wildcardResourceFinding } from '../nag.ts';

/** Where the bundle keeps what the afterBundling hook copies next to index.js. */
const BUNDLED_CONFIG_PATH = '/var/task/jitvend.config.yaml';
const BUNDLED_IAM_DATA_DIR = '/var/task/iam-data';

/**
 * The settings of Powertools Logger (the only Powertools package jitvend uses) every function
 * gets. Events are never logged: they carry bearer tokens.
 */
const POWERTOOLS_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'jitvend',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  POWERTOOLS_LOGGER_LOG_EVENT: 'false',
  POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
};

/** zod without its locales, aliased for `zod` in the Lambda bundles (infra/bundling/zod-lean.mjs). */
export const LEAN_ZOD = './infra/bundling/zod-lean.mjs';
/**
 * Handlers bundled with the whole of zod: their dependencies import zod's subpaths (`zod/v4`,
 * `zod/v4/core`: zod-openapi, in the openapi handler), which esbuild's alias would map into the
 * lean module too, where they do not exist. test/infra/bundles.test.ts bundles every handler so.
 */
export const FULL_ZOD_HANDLERS: ReadonlySet<string> = new Set(['openapi']);

/** The tag keys sessionTagsFor puts on every session (shared/domain/session.ts). */
const SESSION_TAG_KEYS = ['jitvend:request', 'jitvend:profile', 'jitvend:requester'];

export interface JitVendFunctionProps {
  /** folder under functions/ */
  handler: string;
  /** @default functions/<handler>/handler.ts under the project root */
  entry?: string;
  /** the validated config file to ship as /var/task/jitvend.config.yaml */
  configPath: string;
  /** jitvend's variables, by the names of shared/environment.ts */
  environment: Partial<Record<EnvironmentName, string>>;
  logsKey: kms.IKey;
  logRetention: logs.RetentionDays;
  timeout: Duration;
  memorySize: number;
  /** bundle the AWS SDK instead of using the runtime's (pinned versions, bigger bundles) */
  bundleAwsSdk: boolean;
  description?: string;
  /** a fixed role name (the issuing role, when target roles in other accounts must know it) */
  roleName?: string;
  /**
   * run as this existing role instead of a role of its own (the issuing role, for the handlers
   * of infra/access.ts ISSUING_ROLE_HANDLERS): only its own log group is added to it
   */
  role?: iam.Role;
}

/** One handler: its function, its role (nothing but logs and traces until granted) and its log group. */
export class JitVendFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** whether the AWS SDK v3 is bundled (pinned by package-lock.json) rather than taken from the Lambda runtime */
  readonly bundlesAwsSdk: boolean;

  constructor(scope: Construct, id: string, props: JitVendFunctionProps) {
    super(scope, id);
    this.bundlesAwsSdk = props.bundleAwsSdk;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
    });
    this.role =
      props.role ??
      new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        ...(props.roleName ? { roleName: props.roleName } : {}),
        description: `jitvend ${props.handler}: only the calls its handler makes`,
      });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // a shared role holds each function's own log group under its own Sid
        sid: props.role ? `OwnLogGroup${id}` : 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const configPath = props.configPath;
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry ?? `${PROJECT_ROOT}/functions/${props.handler}/handler.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      description: props.description ?? `jitvend ${props.handler}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...POWERTOOLS_ENVIRONMENT,
        ...jitvendEnvironment({
          JITVEND_CONFIG: BUNDLED_CONFIG_PATH,
          IAM_DATA_DIR: BUNDLED_IAM_DATA_DIR,
          ...props.environment,
        }),
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: false,
        format: nodejs.OutputFormat.CJS,
        mainFields: ['module', 'main'],
        ...(props.bundleAwsSdk ? { bundleAwsSDK: true, externalModules: [] } : {}),
        // catalogue.ts falls back to createRequire(import.meta.url), which CommonJS has no value for
        define: { 'import.meta.url': 'importMetaUrl' },
        inject: [`${PROJECT_ROOT}/infra/bundling/import-meta-url.mjs`],
        esbuildArgs: {
          ...(FULL_ZOD_HANDLERS.has(props.handler) ? {} : { '--alias': `zod=${LEAN_ZOD}` }),
          '--legal-comments': 'none',
        },
        logLevel: nodejs.LogLevel.WARNING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp ${sh(configPath)} ${sh(`${outputDir}/jitvend.config.yaml`)}`,
            `mkdir -p ${sh(`${outputDir}/iam-data`)}`,
            `cp -R ${sh(`${slimCatalogueDir()}/actions`)} ${sh(`${outputDir}/iam-data/actions`)}`,
          ],
        },
      },
    });
    acknowledge(this.role, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions',
      },
    ]);
  }

  /** Sets one of jitvend's variables (shared/environment.ts defines the names and reads them). */
  addEnvironment(name: EnvironmentName, value: string): void {
    this.function.addEnvironment(name, value);
  }
}

/** jitvend's variables as Lambda takes them (those left undefined are not set). */
function jitvendEnvironment(variables: Partial<Record<EnvironmentName, string>>): Record<string, string> {
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) if (value !== undefined) set[name] = value;
  return set;
}

function sh(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The resources the capabilities of infra/access.ts refer to. */
export interface CapabilityResources {
  table: { tableArn: string };
  dataKey: kms.IKey;
  credentialsKey: kms.IKey;
  /** the workflow's ARN as a string built from its name (no reference to the state machine: see JitVend) */
  stateMachineArn: string;
  /** the roles of the config's profiles */
  roleArns: readonly string[];
  slackSecret?: secretsmanager.ISecret;
  slackChannel?: string;
  approvalTokenKey: secretsmanager.ISecret;
  email?: { from: string; configurationSetName?: string };
  trail?: { bucket: s3.IBucket; prefix: string; key?: kms.IKey; organizationId?: string };
  usageRegions?: readonly string[];
}

/** Adds to `fn` the policy statements and environment of one capability. */
export function grantCapability(fn: JitVendFunction, capability: Capability, r: CapabilityResources): void {
  const stack = Stack.of(fn);
  const add = (statement: iam.PolicyStatementProps) =>
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
  const viaService = (service: string) => ({
    StringEquals: { 'kms:ViaService': `${service}.${stack.region}.amazonaws.com` },
  });
  switch (capability) {
    case 'table:read':
      add({
        sid: 'TableRead',
        actions: ['dynamodb:GetItem', 'dynamodb:Query'],
        resources: [r.table.tableArn, `${r.table.tableArn}/index/*`],
      });
      add({
        sid: 'TableKeyRead',
        actions: ['kms:Decrypt'],
        resources: [r.dataKey.keyArn],
        conditions: viaService('dynamodb'),
      });
      acknowledge(fn.role, [
        {
          id: wildcardResourceFinding(fn, `${r.table.tableArn}/index/*`),
          reason:
            'Query on the three list indexes of REQUESTS_TABLE (byRequester, byStatus, byTime), this table only',
        },
      ]);
      return;
    case 'table:write':
      add({
        sid: 'TableWrite',
        actions: [
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [r.table.tableArn],
      });
      add({
        sid: 'TableKeyWrite',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [r.dataKey.keyArn],
        conditions: viaService('dynamodb'),
      });
      return;
    case 'workflow:start':
      add({ sid: 'StartWorkflow', actions: ['states:StartExecution'], resources: [r.stateMachineArn] });
      return;
    case 'workflow:callback':
      // as StateMachine.grantTaskResponse does: the tokens of this state machine's tasks only
      add({
        sid: 'ResumeWorkflow',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [r.stateMachineArn],
      });
      return;
    case 'credentials:seal':
    case 'credentials:open':
      add({
        sid: capability === 'credentials:seal' ? 'SealCredentials' : 'OpenCredentials',
        actions: [capability === 'credentials:seal' ? 'kms:Encrypt' : 'kms:Decrypt'],
        resources: [r.credentialsKey.keyArn],
        // KmsVault binds every blob to its request: {jitvend:request: <id>}
        conditions: { StringLike: { 'kms:EncryptionContext:jitvend:request': '?*' } },
      });
      return;
    case 'roles:assume':
      if (r.roleArns.length === 0) return;
      add({
        sid: 'AssumeProfileRoles',
        actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        resources: [...r.roleArns],
        conditions: { StringLike: { 'sts:SourceIdentity': 'jitvend-*' } },
      });
      add({
        sid: 'TagProfileSessions',
        actions: ['sts:TagSession'],
        resources: [...r.roleArns],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': SESSION_TAG_KEYS } },
      });
      return;
    case 'roles:revoke': {
      if (r.roleArns.length === 0) return;
      // each role's deny list (shared/domain/revocation.ts): the inline policy jitvend-denies,
      // sized against the role's other inline policies first
      add({
        sid: 'RevocationDeny',
        actions: ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        resources: [...r.roleArns],
      });
      // ... and its managed shards, only under /jitvend/ and named jitvend-denies-*
      const denyPolicies = [...new Set(r.roleArns.map(managedDenyPoliciesOf))];
      add({
        sid: 'RevocationDenyPolicies',
        actions: [
          'iam:CreatePolicy',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:ListPolicyVersions',
        ],
        resources: denyPolicies,
      });
      // attached only to the profiles' roles, and only those policies ("IAM: Limits managed
      // policies that can be applied to an IAM user, group, or role", IAM User Guide)
      add({
        sid: 'RevocationDenyAttach',
        actions: ['iam:AttachRolePolicy'],
        resources: [...r.roleArns],
        conditions: { ArnLike: { 'iam:PolicyARN': denyPolicies } },
      });
      acknowledge(
        fn.role,
        denyPolicies.map((arn) => ({
          id: wildcardResourceFinding(fn, arn),
          reason:
            "jitvend's managed deny policies of the profiles' roles (/jitvend/jitvend-denies-<role>-<n>), created on demand as a role's revocations grow",
        })),
      );
      return;
    }
    case 'secret:slack':
      if (!r.slackSecret) return;
      r.slackSecret.grantRead(fn.role);
      fn.addEnvironment('SLACK_SECRET_ARN', r.slackSecret.secretArn);
      return;
    case 'secret:approval-key':
      r.approvalTokenKey.grantRead(fn.role);
      fn.addEnvironment('APPROVAL_TOKEN_KEY_SECRET_ARN', r.approvalTokenKey.secretArn);
      return;
    case 'notify:slack':
      if (r.slackChannel) fn.addEnvironment('SLACK_CHANNEL', r.slackChannel);
      return;
    case 'notify':
      if (r.slackChannel) fn.addEnvironment('SLACK_CHANNEL', r.slackChannel);
      if (r.email) {
        fn.addEnvironment('EMAIL_FROM', r.email.from);
        const identities = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });
        const sendFrom = { StringEquals: { 'ses:FromAddress': emailAddressOf(r.email.from) } };
        add({
          sid: 'SendApprovalEmails',
          actions: ['ses:SendEmail'],
          // SES authorizes the sender's and (in the sandbox) each recipient's identity
          resources: [identities],
          conditions: sendFrom,
        });
        acknowledge(fn.role, [
          {
            id: wildcardResourceFinding(fn, identities),
            reason:
              'SES checks SendEmail against the sender identity and, in the sandbox, every recipient identity (approvers come from the config); the ses:FromAddress condition pins the sender',
          },
        ]);
        if (r.email.configurationSetName) {
          fn.addEnvironment('SES_CONFIGURATION_SET', r.email.configurationSetName);
          add({
            sid: 'SendWithConfigurationSet',
            actions: ['ses:SendEmail'],
            resources: [
              stack.formatArn({
                service: 'ses',
                resource: 'configuration-set',
                resourceName: r.email.configurationSetName,
              }),
            ],
            conditions: sendFrom,
          });
        }
      }
      return;
    case 'usage:read':
      add({ sid: 'LookupSessionEvents', actions: ['cloudtrail:LookupEvents'], resources: ['*'] });
      acknowledge(fn.role, [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'cloudtrail:LookupEvents (GET /requests/{id}/usage) supports no resource-level permissions; xray:PutTraceSegments neither',
        },
      ]);
      if (r.usageRegions?.length) fn.addEnvironment('CLOUDTRAIL_REGIONS', r.usageRegions.join(','));
      if (r.trail) {
        const { bucket, prefix, key, organizationId } = r.trail;
        const logs = `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}AWSLogs/`;
        fn.addEnvironment('CLOUDTRAIL_BUCKET', bucket.bucketName);
        if (prefix) fn.addEnvironment('CLOUDTRAIL_PREFIX', prefix);
        if (organizationId) fn.addEnvironment('CLOUDTRAIL_ORGANIZATION_ID', organizationId);
        const logObjects = bucket.arnForObjects(`${logs}*`);
        add({ sid: 'ReadTrailLogs', actions: ['s3:GetObject'], resources: [logObjects] });
        add({
          sid: 'ListTrailLogs',
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${logs}*`] } },
        });
        if (key) {
          add({
            sid: 'TrailKeyRead',
            actions: ['kms:Decrypt'],
            resources: [key.keyArn],
            conditions: viaService('s3'),
          });
        }
        acknowledge(fn.role, [
          {
            id: wildcardResourceFinding(fn, logObjects),
            reason:
              'the trail writes one object per region, day and delivery under AWSLogs/: read-only, this prefix only',
          },
        ]);
      }
      return;
  }
}

/** `jitvend <jitvend@example.com>` → `jitvend@example.com` */
export function emailAddressOf(from: string): string {
  const angle = /<([^>]+)>/.exec(from);
  return (angle ? angle[1]! : from).trim();
}

/** The ARN pattern of jitvend's managed deny policies in a role's account (`policy/jitvend/jitvend-denies-*`). */
function managedDenyPoliciesOf(roleArn: string): string {
  const { partition, account } = roleAccountOf(roleArn);
  return `arn:${partition}:iam::${account}:policy${MANAGED_DENY_POLICY_PATH}${DENY_POLICY_NAME}-*`;
}

/** The ARN of a state machine of this stack, by name, as a plain string of pseudo parameters. */
export function stateMachineArnOf(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
