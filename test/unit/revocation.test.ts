/**
 * The revocation deny: one inline policy per request on the target role, sized against
 * IAM's aggregate inline-policy budget ("IAM and AWS STS quotas", IAM User Guide: role
 * policy size, all inline policies together, at most 10,240 characters, whitespace not
 * counted), kept until the session's expiry plus the grace. The real IAM adapter is tested
 * against aws-sdk-client-mock; what the deny does is checked with iam-simulate.
 */
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  LimitExceededException,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { IamSessionRevoker } from '../../shared/adapters/iam/session-revoker.ts';
import {
  denyUntil,
  policySize,
  RevocationLimitError,
  revocationPolicyDocument,
  revocationPolicyName,
  revocationStatement,
  roleNameOf,
} from '../../shared/domain/revocation.ts';

const ROLE = 'arn:aws:iam::123456789012:role/ci/jitvend-orders-it';
const NOW = new Date('2026-11-24T10:00:00.000Z');
const clock = { now: () => NOW };
const SI = 'jitvend-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';
const OTHER = 'jitvend-6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';
const EXPIRES = '2026-11-24T10:15:00.000Z';

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

const expectedStatement = {
  Effect: 'Deny',
  Action: '*',
  Resource: '*',
  Condition: {
    StringEquals: { 'aws:SourceIdentity': SI },
    DateLessThan: { 'aws:CurrentTime': '2026-11-24T10:20:00Z' },
  },
};

/** IAM's inline policies of one role behind the mock: List/Get/Put/Delete as IAM answers them. */
function rolePolicies(initial: Record<string, string> = {}) {
  const stored = { ...initial };
  iam.on(ListRolePoliciesCommand).callsFake(() => ({ PolicyNames: Object.keys(stored), IsTruncated: false }));
  iam.on(GetRolePolicyCommand).callsFake((input: { PolicyName: string }) => {
    const doc = stored[input.PolicyName];
    if (doc === undefined) throw new NoSuchEntityException({ message: 'not found', $metadata: {} });
    return { PolicyDocument: encodeURIComponent(doc) };
  });
  iam.on(PutRolePolicyCommand).callsFake((input: { PolicyName: string; PolicyDocument: string }) => {
    stored[input.PolicyName] = input.PolicyDocument;
    return {};
  });
  iam.on(DeleteRolePolicyCommand).callsFake((input: { PolicyName: string }) => {
    if (!(input.PolicyName in stored))
      throw new NoSuchEntityException({ message: 'not found', $metadata: {} });
    delete stored[input.PolicyName];
    return {};
  });
  return stored;
}

describe('revocation policy (domain)', () => {
  it('denies exactly the revoked session, until five minutes after it would have expired anyway', () => {
    expect(revocationStatement(SI, EXPIRES)).toEqual(expectedStatement);
    expect(JSON.parse(revocationPolicyDocument(SI, EXPIRES))).toEqual({
      Version: '2012-10-17',
      Statement: [expectedStatement],
    });
  });

  it('rounds the end of the deny UP to the second (IAM and Step Functions Wait compare whole seconds)', () => {
    expect(denyUntil('2026-11-24T10:15:00.001Z')).toBe('2026-11-24T10:20:01Z');
    expect(denyUntil('2026-11-24T10:15:00.999Z')).toBe('2026-11-24T10:20:01Z');
    expect(denyUntil('2026-11-24T10:15:00.000Z')).toBe('2026-11-24T10:20:00Z');
  });

  it('names each request its own policy', () => {
    expect(revocationPolicyName(SI)).toBe('jitvend-revoke-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed');
    expect(revocationPolicyName(OTHER)).not.toBe(revocationPolicyName(SI));
  });

  it('counts policy size as IAM does: whitespace excluded', () => {
    expect(policySize('{ "a" : [ 1, 2 ] }\n')).toBe('{"a":[1,2]}'.length);
  });

  it('names the role of an ARN with a path', () => {
    expect(roleNameOf(ROLE)).toBe('jitvend-orders-it');
    expect(() => roleNameOf('arn:aws:iam::123456789012:user/x')).toThrow(/not a role ARN/);
  });
});

describe('IamSessionRevoker (AWS adapter, IAM mocked)', () => {
  it('puts one policy for the request, named after it, after sizing the role’s inline policies', async () => {
    const stored = rolePolicies({ Guardrails: '{"Version":"2012-10-17","Statement":[]}' });
    await new IamSessionRevoker(new IAMClient({}), clock).revoke({
      roleArn: ROLE,
      sourceIdentity: SI,
      expiresAt: EXPIRES,
    });
    expect(iam).toHaveReceivedCommandWith(ListRolePoliciesCommand, { RoleName: 'jitvend-orders-it' });
    expect(iam).toHaveReceivedCommandWith(GetRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: 'Guardrails',
    });
    expect(iam).toHaveReceivedCommandTimes(PutRolePolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: 'jitvend-revoke-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [expectedStatement] }),
    });
    expect(Object.keys(stored).sort()).toEqual(['Guardrails', revocationPolicyName(SI)]);
  });

  it('two revocations racing each keep their deny (no read-modify-write of a shared policy)', async () => {
    const stored = rolePolicies();
    const revoker = new IamSessionRevoker(new IAMClient({}), clock);
    await Promise.all([
      revoker.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES }),
      revoker.revoke({ roleArn: ROLE, sourceIdentity: OTHER, expiresAt: EXPIRES }),
    ]);
    expect(Object.keys(stored).sort()).toEqual(
      [revocationPolicyName(SI), revocationPolicyName(OTHER)].sort(),
    );
  });

  it('refuses with RevocationLimitError before IAM’s budget, naming the role, and writes nothing', async () => {
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(9_900) }] });
    rolePolicies({ Guardrails: big });
    const revoke = new IamSessionRevoker(new IAMClient({}), clock).revoke({
      roleArn: ROLE,
      sourceIdentity: SI,
      expiresAt: EXPIRES,
    });
    await expect(revoke).rejects.toThrow(RevocationLimitError);
    await expect(revoke).rejects.toThrow(/role jitvend-orders-it cannot hold another revocation.*10240/);
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
  });

  it('maps IAM’s own LimitExceeded (a racing revocation took the reserve) to the same error', async () => {
    rolePolicies();
    iam
      .on(PutRolePolicyCommand)
      .rejects(
        new LimitExceededException({ message: 'Maximum policy size of 10240 bytes exceeded', $metadata: {} }),
      );
    await expect(
      new IamSessionRevoker(new IAMClient({}), clock).revoke({
        roleArn: ROLE,
        sourceIdentity: SI,
        expiresAt: EXPIRES,
      }),
    ).rejects.toThrow(RevocationLimitError);
  });

  it('deletes lapsed denies (left behind by a failed clean-up) instead of counting them', async () => {
    const lapsed = revocationPolicyDocument(OTHER, '2026-11-24T09:00:00.000Z');
    const stored = rolePolicies({ [revocationPolicyName(OTHER)]: lapsed, Guardrails: '{"Statement":[]}' });
    await new IamSessionRevoker(new IAMClient({}), clock).revoke({
      roleArn: ROLE,
      sourceIdentity: SI,
      expiresAt: EXPIRES,
    });
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: revocationPolicyName(OTHER),
    });
    expect(Object.keys(stored).sort()).toEqual(['Guardrails', revocationPolicyName(SI)]);
  });

  it('release deletes the request’s policy once the deny has lapsed', async () => {
    const stored = rolePolicies({ [revocationPolicyName(SI)]: revocationPolicyDocument(SI, EXPIRES) });
    const later = { now: () => new Date('2026-11-24T10:20:00.000Z') };
    await new IamSessionRevoker(new IAMClient({}), later).release({ roleArn: ROLE, sourceIdentity: SI });
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: revocationPolicyName(SI),
    });
    expect(stored).toEqual({});
  });

  it('release keeps a deny that has not lapsed (never before expiry + grace)', async () => {
    const stored = rolePolicies({ [revocationPolicyName(SI)]: revocationPolicyDocument(SI, EXPIRES) });
    const justBefore = { now: () => new Date('2026-11-24T10:19:59.999Z') };
    await new IamSessionRevoker(new IAMClient({}), justBefore).release({ roleArn: ROLE, sourceIdentity: SI });
    expect(iam).not.toHaveReceivedCommand(DeleteRolePolicyCommand);
    expect(Object.keys(stored)).toEqual([revocationPolicyName(SI)]);
  });

  it('release tolerates a policy that is already gone (NoSuchEntity)', async () => {
    rolePolicies();
    await expect(
      new IamSessionRevoker(new IAMClient({}), clock).release({ roleArn: ROLE, sourceIdentity: SI }),
    ).resolves.toBeUndefined();
    // and a delete racing another delete
    rolePolicies({ [revocationPolicyName(SI)]: revocationPolicyDocument(SI, '2026-11-24T09:00:00.000Z') });
    iam.on(DeleteRolePolicyCommand).rejects(new NoSuchEntityException({ message: 'gone', $metadata: {} }));
    await expect(
      new IamSessionRevoker(new IAMClient({}), clock).release({ roleArn: ROLE, sourceIdentity: SI }),
    ).resolves.toBeUndefined();
  });
});

describe('what the revocation does in IAM (checked with iam-simulate)', () => {
  const guardrails = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*'],
      },
    ],
  };
  const session = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users',
      },
    ],
  };
  async function getItemAs(sourceIdentity: string, revocation: string | undefined, at = NOW) {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:sts::123456789012:assumed-role/jitvend-orders-it/${sourceIdentity}`,
          action: 'dynamodb:GetItem',
          resource: {
            resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users',
            accountId: '123456789012',
          },
          contextVariables: { 'aws:SourceIdentity': sourceIdentity, 'aws:CurrentTime': at.toISOString() },
        },
        identityPolicies: [
          { name: 'guardrails', policy: guardrails },
          ...(revocation ? [{ name: revocationPolicyName(SI), policy: JSON.parse(revocation) }] : []),
        ],
        sessionPolicy: session,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it('the revoked session is denied; another session of the same role is not', async () => {
    expect(await getItemAs(SI, undefined)).toBe('Allowed');
    const revocation = revocationPolicyDocument(SI, EXPIRES);
    expect(await getItemAs(SI, revocation)).toBe('ExplicitlyDenied');
    expect(await getItemAs(OTHER, revocation)).toBe('Allowed');
  });

  it('the deny still holds a second before expiry + grace, and lapses at it', async () => {
    const revocation = revocationPolicyDocument(SI, '2026-11-24T10:15:00.400Z');
    expect(await getItemAs(SI, revocation, new Date('2026-11-24T10:20:00.900Z'))).toBe('ExplicitlyDenied');
    expect(await getItemAs(SI, revocation, new Date('2026-11-24T10:20:01.000Z'))).toBe('Allowed');
  });
});
