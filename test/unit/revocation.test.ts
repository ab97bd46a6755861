import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { IamSessionRevoker } from '../../shared/adapters/iam/session-revoker.ts';
import {
  REVOCATION_POLICY_NAME,
  revocationStatement,
  roleNameOf,
  withoutRevocation,
  withRevocation,
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
  Sid: 'RevokeJitvend1b9d6bcdbbfd4b2d9b5dab8dfbbd4bed',
  Effect: 'Deny',
  Action: '*',
  Resource: '*',
  Condition: {
    StringEquals: { 'aws:SourceIdentity': SI },
    DateLessThan: { 'aws:CurrentTime': '2026-11-24T10:20:00Z' },
  },
};

/** A fake IAM role-policy store behind the mock: GetRolePolicy returns what PutRolePolicy wrote. */
function rolePolicyStore(initial?: string) {
  let stored = initial;
  iam.on(GetRolePolicyCommand).callsFake(() => {
    if (stored === undefined) throw new NoSuchEntityException({ message: 'not found', $metadata: {} });
    return { PolicyDocument: encodeURIComponent(stored) };
  });
  iam.on(PutRolePolicyCommand).callsFake((input: { PolicyDocument: string }) => {
    stored = input.PolicyDocument;
    return {};
  });
  iam.on(DeleteRolePolicyCommand).callsFake(() => {
    stored = undefined;
    return {};
  });
  return () => stored;
}

describe('revocation policy (domain)', () => {
  it('denies exactly the revoked session, until shortly after it would have expired anyway', () => {
    expect(revocationStatement(SI, EXPIRES)).toEqual(expectedStatement);
  });

  it('names the role of an ARN with a path', () => {
    expect(roleNameOf(ROLE)).toBe('jitvend-orders-it');
    expect(() => roleNameOf('arn:aws:iam::123456789012:user/x')).toThrow(/not a role ARN/);
  });

  it('keeps statements it did not write, replaces its own, and prunes moot ones', () => {
    const foreign = { Sid: 'Theirs', Effect: 'Deny', Action: 's3:*', Resource: '*' };
    const moot = revocationStatement(OTHER, '2026-11-24T09:00:00.000Z');
    const current = JSON.stringify({ Version: '2012-10-17', Statement: [foreign, moot] });
    const next = JSON.parse(withRevocation(current, revocationStatement(SI, EXPIRES), NOW));
    expect(next.Statement).toEqual([foreign, expectedStatement]);
    expect(withoutRevocation(JSON.stringify(next), SI, NOW)).toBe(
      JSON.stringify({ Version: '2012-10-17', Statement: [foreign] }),
    );
    expect(
      withoutRevocation(withRevocation(undefined, revocationStatement(SI, EXPIRES), NOW), SI, NOW),
    ).toBeUndefined();
  });

  it('refuses to grow past IAM’s inline policy size', () => {
    let policy: string | undefined;
    expect(() => {
      for (let i = 0; i < 200; i++) {
        policy = withRevocation(
          policy,
          revocationStatement(`jitvend-${String(i).padStart(36, '0')}`, EXPIRES),
          NOW,
        );
      }
    }).toThrow(/over IAM's 10240/);
  });
});

describe('IamSessionRevoker (AWS adapter, IAM mocked)', () => {
  it('puts the exact deny policy on the role when there was none', async () => {
    const stored = rolePolicyStore();
    await new IamSessionRevoker(new IAMClient({}), clock).revoke({
      roleArn: ROLE,
      sourceIdentity: SI,
      expiresAt: EXPIRES,
    });
    expect(iam).toHaveReceivedCommandWith(PutRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: REVOCATION_POLICY_NAME,
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [expectedStatement] }),
    });
    expect(JSON.parse(stored()!).Statement).toEqual([expectedStatement]);
  });

  it('merges with the statements already on the role', async () => {
    const existing = revocationStatement(OTHER, EXPIRES);
    const stored = rolePolicyStore(JSON.stringify({ Version: '2012-10-17', Statement: [existing] }));
    await new IamSessionRevoker(new IAMClient({}), clock).revoke({
      roleArn: ROLE,
      sourceIdentity: SI,
      expiresAt: EXPIRES,
    });
    expect(JSON.parse(stored()!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'RevokeJitvend1b9d6bcdbbfd4b2d9b5dab8dfbbd4bed',
      'RevokeJitvend6ec0bd7f11c043da975e2a8ad9ebae0b',
    ]);
  });

  it('removes its statement after expiry, and the whole policy when it was the last', async () => {
    const stored = rolePolicyStore();
    const revoker = new IamSessionRevoker(new IAMClient({}), clock);
    await revoker.revoke({ roleArn: ROLE, sourceIdentity: OTHER, expiresAt: EXPIRES });
    await revoker.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES });
    await revoker.release({ roleArn: ROLE, sourceIdentity: SI });
    expect(JSON.parse(stored()!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'RevokeJitvend6ec0bd7f11c043da975e2a8ad9ebae0b',
    ]);
    await revoker.release({ roleArn: ROLE, sourceIdentity: OTHER });
    expect(iam).toHaveReceivedCommandWith(DeleteRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: REVOCATION_POLICY_NAME,
    });
    expect(stored()).toBeUndefined();
  });

  it('re-applies its change when a concurrent writer overwrote it', async () => {
    let stored: string | undefined;
    let writes = 0;
    iam.on(GetRolePolicyCommand).callsFake(() => {
      if (stored === undefined) throw new NoSuchEntityException({ message: 'not found', $metadata: {} });
      return { PolicyDocument: encodeURIComponent(stored) };
    });
    iam.on(PutRolePolicyCommand).callsFake((input: { PolicyDocument: string }) => {
      writes++;
      // the first write is lost to another revocation written right after it
      stored =
        writes === 1
          ? JSON.stringify({ Version: '2012-10-17', Statement: [revocationStatement(OTHER, EXPIRES)] })
          : input.PolicyDocument;
      return {};
    });
    await new IamSessionRevoker(new IAMClient({}), clock).revoke({
      roleArn: ROLE,
      sourceIdentity: SI,
      expiresAt: EXPIRES,
    });
    expect(writes).toBe(2);
    expect(JSON.parse(stored!).Statement).toHaveLength(2);
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
  async function getItemAs(sourceIdentity: string, revocations: string | undefined) {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:sts::123456789012:assumed-role/jitvend-orders-it/${sourceIdentity}`,
          action: 'dynamodb:GetItem',
          resource: {
            resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users',
            accountId: '123456789012',
          },
          contextVariables: { 'aws:SourceIdentity': sourceIdentity, 'aws:CurrentTime': NOW.toISOString() },
        },
        identityPolicies: [
          { name: 'guardrails', policy: guardrails },
          ...(revocations ? [{ name: REVOCATION_POLICY_NAME, policy: JSON.parse(revocations) }] : []),
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
    const revocations = withRevocation(undefined, revocationStatement(SI, EXPIRES), NOW);
    expect(await getItemAs(SI, revocations)).toBe('ExplicitlyDenied');
    expect(await getItemAs(OTHER, revocations)).toBe('Allowed');
  });
});
