/**
 * JitVendTargetRole: the trust policy of a vended role admits only jitvend's issuing role,
 * only with a jitvend-* source identity and jitvend's session tags, in any account.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JitVendTargetRole } from '../../infra/constructs/target-role.ts';
import { addNagChecks } from '../../infra/nag.ts';

// a target account (222222222222) trusting the issuing role of jitvend's account (111111111111)
const ISSUER = 'arn:aws:iam::111111111111:role/jitvend-issuer';
const app = new App();
const stack = new Stack(app, 'Targets', { env: { account: '222222222222', region: 'eu-west-1' } });
new JitVendTargetRole(stack, 'OrdersIt', {
  issuerRoleArn: ISSUER,
  roleName: 'jitvend-orders-it',
  allow: [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: ['arn:aws:dynamodb:eu-west-1:222222222222:table/orders-it-*'],
    },
    { actions: ['s3:Get*'], resources: ['arn:aws:s3:::acme-orders-it-fixtures/*'] },
  ],
});
addNagChecks(app);
app.synth();
const template = Template.fromStack(stack);

describe('JitVendTargetRole', () => {
  const role = Object.values(template.findResources('AWS::IAM::Role'))[0]!;
  const trust = role.Properties.AssumeRolePolicyDocument.Statement as Record<string, unknown>[];

  it('is assumed only by the issuing role, with a jitvend-* source identity', () => {
    expect(trust).toContainEqual({
      Effect: 'Allow',
      Principal: { AWS: ISSUER },
      Action: 'sts:AssumeRole',
      Condition: { StringLike: { 'sts:SourceIdentity': 'jitvend-*' } },
    });
  });

  it('lets it set the source identity (jitvend-* only) and tag the session (jitvend tags only)', () => {
    expect(trust).toContainEqual({
      Sid: 'JitvendSourceIdentity',
      Effect: 'Allow',
      Principal: { AWS: ISSUER },
      Action: 'sts:SetSourceIdentity',
      Condition: { StringLike: { 'sts:SourceIdentity': 'jitvend-*' } },
    });
    expect(trust).toContainEqual({
      Sid: 'JitvendSessionTags',
      Effect: 'Allow',
      Principal: { AWS: ISSUER },
      Action: 'sts:TagSession',
      Condition: {
        'ForAllValues:StringEquals': {
          'aws:TagKeys': ['jitvend:request', 'jitvend:profile', 'jitvend:requester'],
        },
      },
    });
  });

  it('trusts nobody else and nothing without a condition', () => {
    expect(trust).toHaveLength(3);
    for (const statement of trust) {
      expect(statement.Principal).toEqual({ AWS: ISSUER });
      expect(statement.Condition).toBeDefined();
    }
  });

  it('caps sessions at one hour (role chaining) and allows the guardrails, no more', () => {
    expect(role.Properties).toMatchObject({ RoleName: 'jitvend-orders-it', MaxSessionDuration: 3600 });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
            Resource: 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders-it-*',
          },
          { Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::acme-orders-it-fixtures/*' },
        ],
      },
    });
  });
});
