/**
 * JitVend's options, on a stack of its own (bundling skipped): a config given as an object,
 * an existing organisation trail, a JWT authorizer in front of the oidc routes, a custom
 * public URL, no Slack, no email, no audit stream consumer; and the options it refuses.
 */
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import type { JitvendConfigInput } from '../../infra/bundle-inputs.ts';
import { JitVend, type JitVendProps } from '../../infra/constructs/jitvend.ts';
import { addNagChecks } from '../../infra/nag.ts';
import { asArray, type Statement } from './template-helpers.ts';

const CONFIG: JitvendConfigInput = {
  issuers: [{ issuer: 'https://gitlab.example.com', audience: ['jitvend', 'jitvend-ci'] }],
  people: { alice: { email: 'alice@example.com' }, bob: { email: 'bob@example.com' } },
  profiles: {
    reports: {
      roleArn: 'arn:aws:iam::333333333333:role/reports-it',
      requesters: [{ project_path: 'acme/reports' }],
      allow: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-reports/*'] }],
      approval: { approvers: ['alice', 'bob'] },
    },
  },
};

function jitvendStack(props: Partial<JitVendProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Options', { env: { account: '111111111111', region: 'eu-west-1' } });
  const jitvend = new JitVend(stack, 'JitVend', {
    config: CONFIG,
    trail: {
      existing: {
        bucket: s3.Bucket.fromBucketName(stack, 'OrgTrail', 'acme-org-cloudtrail'),
        key: kms.Key.fromKeyArn(
          stack,
          'OrgTrailKey',
          'arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        ),
        organizationId: 'o-abc1234567',
      },
    },
    jwtAuthorizer: true,
    publicUrl: 'https://jitvend.acme.example',
    auditStream: false,
    ...props,
  });
  return { app, stack, jitvend };
}

const { app, stack, jitvend } = jitvendStack();
addNagChecks(app);
app.synth();
const template = Template.fromStack(stack);
const id = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
const envOf = (handler: string) =>
  (template.toJSON().Resources[id(jitvend.functions.get(handler)!.function)].Properties.Environment
    .Variables ?? {}) as Record<string, unknown>;

describe('JitVend options', () => {
  it('takes the config as an object, validated at synth, and grants its roles (any account)', () => {
    expect(jitvend.config.profiles.reports?.roleArn).toBe('arn:aws:iam::333333333333:role/reports-it');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AssumeProfileRoles',
            Resource: 'arn:aws:iam::333333333333:role/reports-it',
          }),
        ]),
      },
    });
  });

  it('uses an existing organisation trail instead of creating one', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    expect(envOf('request-usage')).toMatchObject({
      CLOUDTRAIL_BUCKET: 'acme-org-cloudtrail',
      CLOUDTRAIL_ORGANIZATION_ID: 'o-abc1234567',
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'ReadTrailLogs', Action: 's3:GetObject', Resource: expect.anything() }),
    );
    expect(statements.find((s) => s.Sid === 'TrailKeyRead')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: 'arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
  });

  it('puts a JWT authorizer (the one issuer, its audiences) on the oidc routes only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://gitlab.example.com', Audience: ['jitvend', 'jitvend-ci'] },
    });
    for (const route of ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: route.auth === 'oidc' ? 'JWT' : 'NONE',
      });
    }
  });

  it('gives the functions the public URL it is told (a custom domain in front)', () => {
    expect(envOf('health').PUBLIC_URL).toBe('https://jitvend.acme.example');
  });

  it('without Slack, email or audit consumer: no Slack secret, no SES, no stream mapping', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(envOf('slack-interactions').SLACK_SECRET_ARN).toBeUndefined();
    expect(envOf('workflow-await-approval').EMAIL_FROM).toBeUndefined();
    const awaitActions = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        JSON.stringify(p.Properties.Roles).includes(
          id(jitvend.functions.get('workflow-await-approval')!.role),
        ),
      )
      .flatMap((p) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => asArray(s.Action)),
      );
    expect(awaitActions).not.toContain('ses:SendEmail');
  });
});

describe('JitVend refuses', () => {
  it('a JWT authorizer when the config trusts more than one issuer', () => {
    expect(() =>
      jitvendStack({
        config: {
          ...CONFIG,
          issuers: [
            ...CONFIG.issuers!,
            { issuer: 'https://token.actions.githubusercontent.com', audience: 'jitvend' },
          ],
        },
      }),
    ).toThrow(/JWT authorizer takes one issuer, the config trusts 2/);
  });

  it('an invalid config, naming the field', () => {
    expect(() =>
      jitvendStack({
        config: { ...CONFIG, profiles: { reports: { ...CONFIG.profiles.reports!, roleArn: 'nope' } } },
      }),
    ).toThrow(/profiles\.reports\.roleArn/);
  });
});
