/**
 * The deployed stack of the sample app (infra/app.ts), asserted on its synthesized templates:
 * fine-grained `hasResourceProperties`, no whole-template snapshot. One synthesis for the
 * whole file (bundling skipped: the template is the same but for asset hashes; bundling has
 * its own test in bundles.test.ts), with cdk-nag's AwsSolutions checks on.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import { ISSUING_ROLE_HANDLERS } from '../../infra/access.ts';
import { buildSampleApp, SAMPLE_ENV } from '../../infra/app.ts';
import { stepHandler } from '../../infra/constructs/jitvend.ts';
import { localWorkflowDefinition, workflowDefinitionFromTemplate } from '../../infra/workflow-definition.ts';
import { REQUESTS_TABLE } from '../../shared/adapters/dynamodb/table.ts';
import { WORKFLOW_STEP_NAMES } from '../../shared/domain/workflow-contract.ts';
import { allStatements, asArray, type CfnTemplate, findCycle, type Statement } from './template-helpers.ts';

const outdir = mkdtempSync(join(tmpdir(), 'jitvend-stack-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const { app, jitvend: stack, targets } = buildSampleApp({ bundling: false, outdir });
/** cdk-nag findings that are not acknowledged (synthesis fails with them, after writing the templates) */
let findings: string[] = [];
try {
  app.synth();
} catch (error) {
  const reportFile = join(outdir, 'validation-report.json');
  if (!existsSync(reportFile)) throw error;
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  findings = report.pluginReports.flatMap((p) =>
    p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
  );
}
const templateOf = (s: Stack) =>
  findings.length === 0
    ? Template.fromStack(s)
    : Template.fromJSON(JSON.parse(readFileSync(join(outdir, s.templateFile), 'utf8')));
const template = templateOf(stack);
const json = template.toJSON() as CfnTemplate;
const resources = json.Resources!;
const jv = stack.jitvend;

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const fnOf = (handler: string) => {
  const fn = jv.functions.get(handler);
  if (!fn) throw new Error(`no function for ${handler}`);
  return fn;
};
/** Every Allow statement of a function's role (its DefaultPolicy), without the logs/X-Ray baseline. */
function grantsOf(handler: string): Statement[] {
  const roleId = logicalId(fnOf(handler).role);
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        asArray(r.Properties?.Roles as unknown[]).some(
          (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
        ),
    )
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter(
      (s) => !s.Sid?.startsWith('OwnLogGroup') && !asArray(s.Action).every((a) => a.startsWith('xray:')),
    );
}
const actionsOf = (handler: string) =>
  [...new Set(grantsOf(handler).flatMap((s) => asArray(s.Action)))].sort();

describe('the sample app', () => {
  it('synthesizes with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    expect(findings).toEqual([]);
  });

  it('acknowledges findings one by one, each with a specific reason', () => {
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push({ path: construct.node.path, id, reason });
        }
      }
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason, path } of acknowledged) {
      // a whole rule is never acknowledged where it reports per finding (IAM5 names the action or resource)
      if (id.includes('IAM5')) expect(id, path).toMatch(/IAM5\[(Action|Resource)::.+\]$/);
      expect(reason.length, `${path} ${id}`).toBeGreaterThanOrEqual(40);
      expect(reason, `${path} ${id}`).not.toMatch(/^(ok|fine|not needed|n\/a|false positive)\b/i);
    }
  });

  it('pins the account and region, so synth needs no credentials', () => {
    for (const s of [stack, targets]) {
      expect(s.account).toBe(SAMPLE_ENV.account);
      expect(s.region).toBe(SAMPLE_ENV.region);
    }
  });

  it('has no dependency cycle between resources (PUBLIC_URL and STATE_MACHINE_ARN included)', () => {
    expect(findCycle(json)).toBeUndefined();
  });
});

describe('DynamoDB: the requests table', () => {
  it('maps REQUESTS_TABLE one to one: keys, on-demand, TTL, stream NEW_AND_OLD_IMAGES, indexes', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: REQUESTS_TABLE.ttlAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: Object.values(REQUESTS_TABLE.indexes).map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('has point-in-time recovery, deletion protection and a customer-managed key, and is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(jv.keys.data), 'Arn'] },
        },
      },
    });
  });
});

describe('KMS keys', () => {
  it('rotates every key and keeps it when the stack goes', () => {
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe('Retain');
    }
    template.resourceCountIs('AWS::KMS::Key', 3); // data, credentials, trail
  });

  it('lets CloudWatch Logs of this account use the data key, and CloudTrail the trail key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchLogsOfThisAccount',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudTrailEncryptsLogFiles',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('Lambda functions', () => {
  const expected = [...new Set(ROUTES.map((r) => r.handler)), ...WORKFLOW_STEP_NAMES.map(stepHandler)];

  it('one function per route handler and workflow step (and the audit stream consumer)', () => {
    for (const handler of expected) expect(jv.functions.has(handler), handler).toBe(true);
    template.resourceCountIs('AWS::Lambda::Function', jv.functions.size);
  });

  it('Node.js 24 on arm64, X-Ray tracing, JSON logs to its own encrypted log group, Powertools settings', () => {
    for (const [handler, fn] of jv.functions) {
      const props = resources[logicalId(fn.function)]!.Properties!;
      expect(props, handler).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(fn.logGroup) } },
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: 'jitvend',
            POWERTOOLS_LOGGER_LOG_EVENT: 'false',
            JITVEND_CONFIG: '/var/task/jitvend.config.yaml',
            IAM_DATA_DIR: '/var/task/iam-data',
            TABLE_NAME: { Ref: logicalId(jv.table.table) },
            CREDENTIALS_KEY_ID: { 'Fn::GetAtt': [logicalId(jv.keys.credentials), 'Arn'] },
            PUBLIC_URL: { 'Fn::GetAtt': [logicalId(jv.api.httpApi), 'ApiEndpoint'] },
          },
        },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': [logicalId(jv.keys.data), 'Arn'] },
        RetentionInDays: 365,
      });
    }
  });

  it('one role per function (the renew route runs as the issuing role), trusted by Lambda only, with no managed policies', () => {
    const own = [...jv.functions].filter(([handler]) => !ISSUING_ROLE_HANDLERS.has(handler));
    const roleIds = own.map(([, fn]) => logicalId(fn.role));
    expect(new Set(roleIds).size).toBe(own.length);
    // target roles trust the issuing role alone: a function that mints sessions must run as it
    expect(logicalId(fnOf('renew-request').role)).toBe(logicalId(fnOf('workflow-issue').role));
    for (const id of roleIds) {
      const role = resources[id]!.Properties!;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.AssumeRolePolicyDocument).toEqual({
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
        Version: '2012-10-17',
      });
    }
  });

  it('names the workflow by a string ARN equal to the deployed state machine (no reference, no cycle)', () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const name = machine.Properties.StateMachineName as string;
    for (const fn of jv.functions.values()) {
      expect(resources[logicalId(fn.function)]!.Properties!.Environment).toMatchObject({
        Variables: {
          STATE_MACHINE_ARN: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:states:us-east-1:123456789012:stateMachine:${name}`],
            ],
          },
        },
      });
    }
  });
});

describe('IAM: each function may make only the calls its handler makes', () => {
  const READ = ['dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt'];
  const COMMIT = [
    ...READ,
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'kms:Encrypt',
    'kms:GenerateDataKey',
  ];
  const CALLBACK = ['states:SendTaskFailure', 'states:SendTaskSuccess'];
  const SECRET = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
  const REVOKE = [
    'iam:AttachRolePolicy',
    'iam:CreatePolicy',
    'iam:CreatePolicyVersion',
    'iam:DeletePolicyVersion',
    'iam:DeleteRolePolicy',
    'iam:GetRolePolicy',
    'iam:ListPolicyVersions',
    'iam:ListRolePolicies',
    'iam:PutRolePolicy',
  ];
  const EXPECTED: Record<string, string[]> = {
    health: [],
    openapi: [],
    'preview-request': [],
    'create-request': [...COMMIT, 'states:StartExecution'],
    'list-requests': READ,
    'get-request': READ,
    'request-audit': READ,
    'cancel-request': [...COMMIT, ...CALLBACK],
    'decide-request': [...COMMIT, ...CALLBACK],
    'deliver-credentials': COMMIT,
    'revoke-request': [...COMMIT, ...REVOKE],
    'release-request': [...COMMIT, ...REVOKE, ...SECRET],
    'request-usage': [...READ, 'cloudtrail:LookupEvents', 's3:GetObject', 's3:ListBucket'],
    'slack-interactions': [...COMMIT, ...CALLBACK, ...REVOKE, ...SECRET],
    'approval-page': [...READ, ...SECRET],
    'approval-decision': [...COMMIT, ...CALLBACK, ...SECRET],
    'workflow-evaluate': COMMIT,
    'workflow-await-approval': [...COMMIT, ...CALLBACK, ...SECRET, 'ses:SendEmail'],
    'workflow-issue': [...COMMIT, 'sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
    // runs as the issuing role (infra/access.ts ISSUING_ROLE_HANDLERS): the same grants, nothing added
    'renew-request': [...COMMIT, 'sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
    'workflow-mark-failed': COMMIT,
    'workflow-mark-timed-out': COMMIT,
    'workflow-expire': [...COMMIT, ...REVOKE],
  };

  it.each(Object.entries(EXPECTED))('%s', (handler, actions) => {
    expect(actionsOf(handler)).toEqual([...new Set(actions)].sort());
  });

  it('grants no `*` action anywhere, and `*` resources only to calls without resource-level permissions', () => {
    const templates = [json, templateOf(targets).toJSON() as CfnTemplate];
    const wildcardResourceActions = new Set<string>();
    for (const t of templates) {
      for (const { statement } of allStatements(t)) {
        if (statement.Effect !== 'Allow') continue;
        expect(asArray(statement.Action)).not.toContain('*');
        if (asArray(statement.Resource).includes('*') && !statement.Principal) {
          for (const action of asArray(statement.Action)) wildcardResourceActions.add(action);
        }
      }
    }
    expect([...wildcardResourceActions].sort()).toEqual(
      [
        'cloudtrail:LookupEvents',
        'dynamodb:ListStreams',
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  it('reads and writes the table and its indexes only, the key only through DynamoDB', () => {
    const table = { 'Fn::GetAtt': [logicalId(jv.table.table), 'Arn'] };
    expect(grantsOf('get-request')).toEqual([
      {
        Sid: 'TableRead',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [table, { 'Fn::Join': ['', [table, '/index/*']] }],
      },
      {
        Sid: 'TableKeyRead',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [logicalId(jv.keys.data), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } },
      },
    ]);
    expect(grantsOf('create-request').find((s) => s.Sid === 'TableWrite')!.Resource).toEqual(table);
  });

  it('only the issuing role (the issue step, and the renew route running as it) assumes the profiles roles, with a jitvend-* source identity and jitvend tags', () => {
    const roles = [
      'arn:aws:iam::123456789012:role/jitvend-orders-it',
      'arn:aws:iam::123456789012:role/jitvend-payments-it',
    ];
    expect(grantsOf('workflow-issue')).toEqual(
      expect.arrayContaining([
        {
          Sid: 'AssumeProfileRoles',
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Resource: roles,
          Condition: { StringLike: { 'sts:SourceIdentity': 'jitvend-*' } },
        },
        {
          Sid: 'TagProfileSessions',
          Effect: 'Allow',
          Action: 'sts:TagSession',
          Resource: roles,
          Condition: {
            'ForAllValues:StringEquals': {
              'aws:TagKeys': ['jitvend:request', 'jitvend:profile', 'jitvend:requester'],
            },
          },
        },
      ]),
    );
    const assumers = [...jv.functions.keys()].filter((h) => actionsOf(h).some((a) => a.startsWith('sts:')));
    expect(assumers.sort()).toEqual(['renew-request', 'workflow-issue']);
  });

  it('seals credentials only in the issuing role and opens them only in the deliver function, per request', () => {
    const credentialsKey = { 'Fn::GetAtt': [logicalId(jv.keys.credentials), 'Arn'] };
    const onCredentialsKey = (handler: string) =>
      grantsOf(handler).filter((s) => JSON.stringify(s.Resource) === JSON.stringify(credentialsKey));
    const context = { StringLike: { 'kms:EncryptionContext:jitvend:request': '?*' } };
    for (const handler of jv.functions.keys()) {
      const statements = onCredentialsKey(handler);
      // the renew route runs as the issuing role: it holds what that role holds, nothing more
      if (handler === 'workflow-issue' || handler === 'renew-request') {
        expect(statements).toEqual([
          {
            Sid: 'SealCredentials',
            Effect: 'Allow',
            Action: 'kms:Encrypt',
            Resource: credentialsKey,
            Condition: context,
          },
        ]);
      } else if (handler === 'deliver-credentials') {
        expect(statements).toEqual([
          {
            Sid: 'OpenCredentials',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: credentialsKey,
            Condition: context,
          },
        ]);
      } else {
        expect(statements, handler).toEqual([]);
      }
    }
  });

  it('starts and resumes only this state machine', () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const arn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:states:us-east-1:123456789012:stateMachine:${machine.Properties.StateMachineName}`,
        ],
      ],
    };
    expect(grantsOf('create-request').find((s) => s.Sid === 'StartWorkflow')!.Resource).toEqual(arn);
    expect(grantsOf('cancel-request').find((s) => s.Sid === 'ResumeWorkflow')!.Resource).toEqual(arn);
  });

  it('the revocation deny is written only on the profiles roles, by revoke (API, Slack) and expire', () => {
    const roles = [
      'arn:aws:iam::123456789012:role/jitvend-orders-it',
      'arn:aws:iam::123456789012:role/jitvend-payments-it',
    ];
    const denyPolicies = ['arn:aws:iam::123456789012:policy/jitvend/jitvend-denies-*'];
    for (const handler of ['release-request', 'revoke-request', 'slack-interactions', 'workflow-expire']) {
      const grants = grantsOf(handler);
      expect(grants.find((s) => s.Sid === 'RevocationDeny')).toEqual({
        Sid: 'RevocationDeny',
        Effect: 'Allow',
        // ListRolePolicies + GetRolePolicy size the role's inline policies against IAM's budget
        Action: ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        Resource: roles,
      });
      // the managed shards of the deny list: only jitvend's own policies, under /jitvend/
      expect(grants.find((s) => s.Sid === 'RevocationDenyPolicies')).toEqual({
        Sid: 'RevocationDenyPolicies',
        Effect: 'Allow',
        Action: [
          'iam:CreatePolicy',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:ListPolicyVersions',
        ],
        Resource: denyPolicies[0],
      });
      // attaching is the dangerous one (attach AdministratorAccess to a role): only those policies,
      // only to the profiles' roles ("IAM: Limits managed policies that can be applied to an IAM
      // user, group, or role", IAM User Guide: the iam:PolicyARN condition key)
      expect(grants.find((s) => s.Sid === 'RevocationDenyAttach')).toEqual({
        Sid: 'RevocationDenyAttach',
        Effect: 'Allow',
        Action: 'iam:AttachRolePolicy',
        Resource: roles,
        Condition: { ArnLike: { 'iam:PolicyARN': denyPolicies } },
      });
    }
  });

  it('sends email only from the configured sender, and reads secrets only where the handler needs them', () => {
    expect(
      grantsOf('workflow-await-approval').find((s) => s.Sid === 'SendApprovalEmails')!.Condition,
    ).toEqual({
      StringEquals: { 'ses:FromAddress': 'jitvend@example.com' },
    });
    const readers = (secret: IConstruct) =>
      [...jv.functions.keys()].filter((h) =>
        grantsOf(h).some(
          (s) =>
            asArray(s.Action).includes('secretsmanager:GetSecretValue') &&
            JSON.stringify(s.Resource) === JSON.stringify({ Ref: logicalId(secret) }),
        ),
      );
    expect(readers(jv.secrets.slack!).sort()).toEqual([
      'release-request',
      'slack-interactions',
      'workflow-await-approval',
    ]);
    expect(readers(jv.secrets.approvalTokenKey).sort()).toEqual([
      'approval-decision',
      'approval-page',
      'workflow-await-approval',
    ]);
    expect(resources[logicalId(fnOf('slack-interactions').function)]!.Properties!.Environment).toMatchObject({
      Variables: { SLACK_SECRET_ARN: { Ref: logicalId(jv.secrets.slack!) } },
    });
    expect(resources[logicalId(fnOf('health').function)]!.Properties!.Environment).not.toMatchObject({
      Variables: { SLACK_SECRET_ARN: Match.anyValue() },
    });
  });
});

describe('API Gateway: the HTTP API built from functions/routes.ts', () => {
  it('has one route per ROUTES entry, each integrated with its handler function (payload 2.0)', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length);
    for (const route of ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'NONE',
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(fnOf('create-request').function), 'Arn'] },
    });
  });

  it('throttles the $default stage and writes JSON access logs without paths or headers', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(jv.api.accessLogs), 'Arn'] } },
    });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
    // /approvals/{token} carries a token in its path: never log the path
    expect(Object.values(format).join(' ')).not.toMatch(
      /\$context\.(path|http\.path|requestOverride)|\$request\.header/,
    );
  });
});

describe('Step Functions: the approval workflow', () => {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machineId, machine] = Object.entries(machines)[0]!;

  it('is Standard, logs ALL events without execution data to an encrypted log group, with X-Ray', () => {
    expect(Object.keys(machines)).toHaveLength(1);
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
  });

  it('deploys the very definition the local stack executes', () => {
    expect(workflowDefinitionFromTemplate(json, machineId)).toEqual(localWorkflowDefinition());
  });

  it('waits for the approval with .waitForTaskToken and catches timeouts and failures', () => {
    const definition = workflowDefinitionFromTemplate(json, machineId);
    expect(definition.States.AwaitApproval).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.evaluation.approvalTimeoutSeconds',
      Catch: [
        { ErrorEquals: ['States.Timeout'], Next: 'MarkTimedOut' },
        { ErrorEquals: ['States.ALL'], Next: 'MarkFailed' },
      ],
    });
    expect(definition.States.IssueCredentials).toMatchObject({
      Retry: [
        expect.objectContaining({ ErrorEquals: ['IssueThrottledError'] }),
        expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException']) }),
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'MarkFailed' }],
    });
  });

  it('invokes each step through its own function', () => {
    for (const step of WORKFLOW_STEP_NAMES) {
      const fn = fnOf(stepHandler(step)).function;
      expect(resources[logicalId(fn)]!.Properties!.Tags).toContainEqual({
        Key: 'jitvend:workflow-step',
        Value: step,
      });
    }
  });
});

describe('the audit sink', () => {
  it('keeps audit objects versioned, under Object Lock governance retention, private, KMS-encrypted', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(jv.keys.data), 'Arn'] },
            },
          },
        ],
      },
      LoggingConfiguration: { LogFilePrefix: 'audit/' },
    });
  });

  it('denies every request without TLS on every bucket', () => {
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    for (const bucket of buckets) {
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucket }),
      );
      expect(policy?.Properties.PolicyDocument.Statement, bucket).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('feeds audit items of the stream to the consumer, with a dead-letter queue for what it cannot write', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(jv.table.table), 'StreamArn'] },
      FunctionName: { Ref: logicalId(fnOf('audit-stream').function) },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 10,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(jv.auditSink.deadLetterQueue!), 'Arn'] } },
      },
      FilterCriteria: { Filters: [{ Pattern: '{"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"AUDIT#"}]}}}}' }] },
    });
    expect(grantsOf('audit-stream').find((s) => s.Sid === 'WriteAuditObjects')).toEqual({
      Sid: 'WriteAuditObjects',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(jv.auditSink.bucket), 'Arn'] }, '/audit/*']] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });
});

describe('CloudTrail', () => {
  it('is multi-region, validates log files and encrypts them with its own key', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      EnableLogFileValidation: true,
      IncludeGlobalServiceEvents: true,
      IsLogging: true,
      KMSKeyId: { 'Fn::GetAtt': [logicalId(jv.trail!.key), 'Arn'] },
      S3BucketName: { Ref: logicalId(jv.trail!.bucket) },
    });
  });

  it('lets the usage function read the trail log files', () => {
    expect(resources[logicalId(fnOf('request-usage').function)]!.Properties!.Environment).toMatchObject({
      Variables: { CLOUDTRAIL_BUCKET: { Ref: logicalId(jv.trail!.bucket) } },
    });
  });
});

describe('Secrets Manager and SES', () => {
  it('keeps the Slack app secret and the approval link key, encrypted with the data key', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [logicalId(jv.keys.data), 'Arn'] },
      GenerateSecretString: { GenerateStringKey: 'signingSecret', SecretStringTemplate: '{"botToken":""}' },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('sends from a DKIM-signed domain identity through a TLS-only configuration set', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'example.com',
      DkimAttributes: { SigningEnabled: true },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });
});

describe('alarms', () => {
  const topic = { 'Fn::ImportValue': Match.stringLikeRegexp('JitvendAlerts') };
  it.each([
    ['failed workflow executions', { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }],
    ['issue failures', { MetricName: 'Errors', Namespace: 'AWS/Lambda' }],
    ['audit dead letters', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' }],
  ])('%s, to the alarm topic', (_name, metric) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...metric,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('a 5xx rate on the API, and throttles of every function and of the table', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 5,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({
          Id: 'errors',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }) }),
        }),
      ]),
    });
    const throttled = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        JSON.stringify(a).includes('"Throttles"'),
      ),
    );
    for (const fn of jv.functions.values()) expect(throttled).toContain(logicalId(fn.function));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ThrottledRequests' }) }),
        }),
      ]),
    });
  });
});
