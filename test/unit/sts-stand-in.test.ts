import { describe, expect, it } from 'vitest';
import { LocalCredentialIssuer } from '../../local/sts-stand-in.ts';
import { IssueError } from '../../shared/domain/errors.ts';
import type { AssumeRoleInput, Clock } from '../../shared/domain/ports.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const clock: Clock = { now: () => NOW };
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: ['arn:aws:dynamodb:*:*:table/x'] }],
});
const input: AssumeRoleInput = {
  roleArn: 'arn:aws:iam::123456789012:role/jitvend-orders-it',
  policy: POLICY,
  durationSeconds: 900,
  sourceIdentity: 'jitvend-req1',
  tags: { 'jitvend:request': 'req1', 'jitvend:profile': 'orders-it' },
};

async function refusal(
  issuer: LocalCredentialIssuer,
  changed: Partial<AssumeRoleInput>,
): Promise<IssueError> {
  const error = await issuer.assumeRole({ ...input, ...changed }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IssueError);
  return error as IssueError;
}

describe('LocalCredentialIssuer', () => {
  it('issues credentials that are obviously local, expiring after the duration', async () => {
    const credentials = await new LocalCredentialIssuer({ clock }).assumeRole({
      ...input,
      durationSeconds: 3600,
    });
    expect(credentials.accessKeyId).toMatch(/^ASIAJITVENDLOCAL[A-Z0-9]{4}$/);
    expect(credentials.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(credentials.sessionToken).toMatch(/^jitvend-local-[A-Za-z0-9_-]+$/);
    expect(credentials.expiration).toBe('2026-03-01T13:00:00.000Z');
  });

  it('issues different credentials each time', async () => {
    const issuer = new LocalCredentialIssuer({ clock });
    const a = await issuer.assumeRole(input);
    const b = await issuer.assumeRole(input);
    expect(a.secretAccessKey).not.toBe(b.secretAccessKey);
    expect(a.sessionToken).not.toBe(b.sessionToken);
  });

  it('remembers the sessions it issued, without their secrets', async () => {
    const issuer = new LocalCredentialIssuer({ clock });
    const credentials = await issuer.assumeRole(input);
    expect(issuer.sessions()).toEqual([
      {
        roleArn: input.roleArn,
        roleSessionName: 'jitvend-req1',
        sourceIdentity: 'jitvend-req1',
        policy: POLICY,
        durationSeconds: 900,
        tags: input.tags,
        issuedAt: '2026-03-01T12:00:00.000Z',
        expiration: '2026-03-01T12:15:00.000Z',
      },
    ]);
    const remembered = JSON.stringify(issuer.sessions());
    for (const secret of Object.values(credentials).slice(0, 3)) expect(remembered).not.toContain(secret);
  });

  it('accepts a role with a path and the 50th tag', async () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(256)]));
    const issuer = new LocalCredentialIssuer({ clock });
    await expect(
      issuer.assumeRole({ ...input, roleArn: 'arn:aws:iam::123456789012:role/ci/jitvend-x', tags }),
    ).resolves.toBeDefined();
  });

  describe('refuses what STS refuses, with a final IssueError', () => {
    it.each<[string, Partial<AssumeRoleInput>, RegExp]>([
      ['a non-role ARN', { roleArn: 'arn:aws:iam::123456789012:user/alice' }, /is not a role ARN/],
      ['a malformed ARN', { roleArn: 'jitvend-orders-it' }, /is not a role ARN/],
      [
        'a policy over 2,048 characters',
        { policy: `${POLICY}${' '.repeat(2049 - POLICY.length)}` },
        /2049 characters/,
      ],
      ['a policy that is not JSON', { policy: '{"Version": ' }, /not valid JSON/],
      ['a policy with no Statement', { policy: '{"Version":"2012-10-17"}' }, /no Statement/],
      [
        'a statement with no Effect',
        { policy: '{"Statement":[{"Action":"s3:*","Resource":"*"}]}' },
        /Effect/,
      ],
      ['a duration under 900 s', { durationSeconds: 899 }, /DurationSeconds 899/],
      ['a duration over 3600 s', { durationSeconds: 3601 }, /DurationSeconds 3601/],
      ['a fractional duration', { durationSeconds: 900.5 }, /DurationSeconds/],
      ['a source identity with a slash', { sourceIdentity: 'jitvend-a/b' }, /2 to 64 characters/],
      ['a source identity over 64 characters', { sourceIdentity: `jitvend-${'x'.repeat(57)}` }, /2 to 64/],
      [
        '51 tags',
        { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
        /51 session tags/,
      ],
      ['a tag key over 128 characters', { tags: { ['k'.repeat(129)]: 'v' } }, /tag key/],
      ['a tag value over 256 characters', { tags: { k: 'v'.repeat(257) } }, /value of session tag k/],
      ['a tag value with a character STS refuses', { tags: { k: 'a;b' } }, /value of session tag k/],
      ['tag keys that differ only by case', { tags: { Key: 'a', key: 'b' } }, /duplicated/],
      [
        'a source identity the trust policy does not admit',
        { sourceIdentity: 'someone-else' },
        /trust policy/,
      ],
    ])('%s', async (_, changed, message) => {
      const issuer = new LocalCredentialIssuer({ clock });
      const error = await refusal(issuer, changed);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(message);
      expect(issuer.sessions()).toEqual([]);
    });
  });

  describe('failNext', () => {
    it('simulates throttling once, then issues', async () => {
      const issuer = new LocalCredentialIssuer({ clock });
      issuer.failNext('throttled');
      const error = await refusal(issuer, {});
      expect(error.retryable).toBe(true);
      expect(error.name).toBe('IssueThrottledError');
      await expect(issuer.assumeRole(input)).resolves.toBeDefined();
    });

    it('simulates a denial, or any given error, in order', async () => {
      const issuer = new LocalCredentialIssuer({ clock });
      issuer.failNext('denied');
      issuer.failNext(new IssueError('custom', true));
      expect((await refusal(issuer, {})).retryable).toBe(false);
      expect((await refusal(issuer, {})).message).toBe('custom');
      expect(issuer.sessions()).toEqual([]);
    });
  });
});
