/**
 * The usage report: CloudTrail records (hand-written from AWS's documented record format, in
 * test/events/cloudtrail) joined to their request exactly on the source identity, and compared
 * with the grant: used, granted but unused, denied, and the tighter suggestion.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AccessRequest, Permission } from '../../shared/domain/types.ts';
import {
  actionFor,
  grantAllows,
  isAccessDenied,
  resourcesFor,
  serviceOf,
} from '../../shared/domain/usage/iam-terms.ts';
import { MAX_SUGGESTED_RESOURCES_PER_GROUP, usageReport } from '../../shared/domain/usage/report.ts';
import { type CloudTrailEvent, usageWindow } from '../../shared/domain/usage/session-records.ts';

const fixture = (name: string): CloudTrailEvent[] =>
  (
    JSON.parse(readFileSync(new URL(`../events/cloudtrail/${name}`, import.meta.url), 'utf8')) as {
      Records: CloudTrailEvent[];
    }
  ).Records;

const ALL_RECORDS = [
  ...fixture('assume-role.json'),
  ...fixture('session-management-events.json'),
  ...fixture('session-data-events.json'),
  ...fixture('other-sessions.json'),
];
const REQUEST_ID = '3f1c2b9e-8d4a-4e7b-9c61-2a5d7e0f4b18';
const ACCOUNT = '123456789012';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders-it-1`;
const BUCKET = 'arn:aws:s3:::orders-it-fixtures';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-it-events`;

const GRANT: Permission[] = [
  {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
    resources: [TABLE, `${TABLE}/index/*`],
  },
  { actions: ['s3:GetObject', 's3:PutObject'], resources: [`${BUCKET}/*`] },
  { actions: ['sqs:SendMessage'], resources: [QUEUE] },
];

function request(patch: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: REQUEST_ID,
    profile: 'orders-it',
    requester: 'repo:acme/orders:ref:refs/heads/main',
    requesterClaims: {},
    status: 'expired',
    permissions: GRANT,
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'integration tests',
    approvals: [],
    approvalRoute: { kind: 'auto', rule: 0 },
    createdAt: '2026-03-01T11:59:50.000Z',
    updatedAt: '2026-03-01T12:15:02.000Z',
    approvalDeadline: '2026-03-01T12:29:50.000Z',
    issuedAt: '2026-03-01T12:00:02.000Z',
    expiresAt: '2026-03-01T12:15:02.000Z',
    version: 4,
    auditHead: 'x',
    auditCount: 4,
    ...patch,
  };
}

describe('usageReport: the join', () => {
  const report = usageReport(request(), { events: ALL_RECORDS, source: 'test', truncated: false });

  it('keeps exactly the calls carrying the session source identity, oldest first', () => {
    expect(report.sourceIdentity).toBe(`jitvend-${REQUEST_ID}`);
    expect(report.calls.map((c) => c.eventName)).toEqual([
      'GetCallerIdentity',
      'DescribeTable',
      'GetItem',
      'PutItem',
      'GetItem',
      'Query',
      'GetObject',
      'DeleteItem',
      'PutItem',
    ]);
  });

  it('excludes another session of the same role, and a session merely named like this one', () => {
    const ids = new Set(report.calls.map((c) => c.eventId));
    for (const other of fixture('other-sessions.json')) expect(ids.has(other.eventID)).toBe(false);
    // the look-alike's ARN ends with /jitvend-<id>, but it carries no source identity
    const lookalike = fixture('other-sessions.json').find((e) => e.eventName === 'Scan')!;
    expect(lookalike.userIdentity?.arn?.endsWith(`/jitvend-${REQUEST_ID}`)).toBe(true);
    expect(report.calls.some((c) => c.eventName === 'Scan')).toBe(false);
  });

  it('finds the AssumeRole call of this session (not the other one on the same role)', () => {
    expect(report.assumeRole).toEqual({
      at: '2026-03-01T12:00:01Z',
      awsRegion: 'us-east-1',
      sourceIPAddress: '3.91.172.14',
      userAgent: expect.stringContaining('api/sts'),
      eventId: 'a1f0c7e2-4b8d-4c1e-9f3a-6d2b8e5c0a11',
    });
  });

  it('never copies credentials or request parameters from the records', () => {
    const text = JSON.stringify(report);
    expect(text).not.toContain('IQoJb3JpZ2luX2Vj');
    expect(text).not.toContain('ASIA3EXAMPLE');
    expect(text).not.toContain('HIDDEN_DUE_TO_SECURITY_REASONS');
  });

  it('drops a record seen twice (two sources) by its event id', () => {
    const twice = usageReport(request(), {
      events: [...ALL_RECORDS, ...fixture('session-data-events.json')],
    });
    expect(twice.calls).toHaveLength(report.calls.length);
  });
});

describe('usageReport: against the grant', () => {
  const report = usageReport(request(), { events: ALL_RECORDS, source: 'test', truncated: false });

  it('maps each call to its IAM action and the resource it is authorized against', () => {
    const byId = new Map(report.calls.map((c) => [c.eventName + c.eventTime, c]));
    expect(byId.get('Query2026-03-01T12:00:08Z')).toMatchObject({
      action: 'dynamodb:Query',
      resources: [`${TABLE}/index/by-customer`],
      allowedByGrant: true,
    });
    expect(byId.get('GetObject2026-03-01T12:00:09Z')).toMatchObject({
      action: 's3:GetObject',
      resources: [`${BUCKET}/seed/orders.json`],
      allowedByGrant: true,
    });
    expect(byId.get('DeleteItem2026-03-01T12:00:10Z')).toMatchObject({
      action: 'dynamodb:DeleteItem',
      resources: [TABLE],
      errorCode: 'AccessDenied',
      allowedByGrant: false,
    });
  });

  it('counts used actions per resource, including calls that failed after authorization', () => {
    expect(report.used).toEqual([
      { action: 'dynamodb:DescribeTable', resource: TABLE, count: 1 },
      { action: 'dynamodb:GetItem', resource: TABLE, count: 2 },
      // the second PutItem failed its condition: it was authorized, so the permission was used
      { action: 'dynamodb:PutItem', resource: TABLE, count: 2 },
      { action: 'dynamodb:Query', resource: `${TABLE}/index/by-customer`, count: 1 },
      { action: 's3:GetObject', resource: `${BUCKET}/seed/orders.json`, count: 1 },
      { action: 'sts:GetCallerIdentity', resource: '*', count: 1 },
    ]);
  });

  it('lists the granted patterns no call exercised', () => {
    expect(report.grantedButUnused).toEqual([
      {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DescribeTable'],
        resources: [`${TABLE}/index/*`],
      },
      { actions: ['dynamodb:Query'], resources: [TABLE] },
      { actions: ['s3:PutObject'], resources: [`${BUCKET}/*`] },
      { actions: ['sqs:SendMessage'], resources: [QUEUE] },
    ]);
  });

  it('lists the denied calls, saying whether the grant allowed them', () => {
    expect(report.denied).toEqual([
      {
        action: 'dynamodb:DeleteItem',
        resource: TABLE,
        count: 1,
        errorCode: 'AccessDenied',
        allowedByGrant: false,
        firstAt: '2026-03-01T12:00:10Z',
        errorMessage: expect.stringContaining('no session policy allows the dynamodb:DeleteItem action'),
      },
    ]);
  });

  it('suggests the concrete actions and resources used, grouped, without calls that need no permission', () => {
    expect(report.suggestion).toEqual([
      { actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem'], resources: [TABLE] },
      { actions: ['dynamodb:Query'], resources: [`${TABLE}/index/by-customer`] },
      { actions: ['s3:GetObject'], resources: [`${BUCKET}/seed/orders.json`] },
    ]);
  });

  it('notes that the session was revoked when calls were denied after it', () => {
    const revoked = usageReport(
      request({ status: 'revoked', revocation: { at: '2026-03-01T12:00:09Z', by: 'alice' } }),
      {
        events: ALL_RECORDS,
      },
    );
    expect(revoked.notes).toContain(
      'the session was revoked at 2026-03-01T12:00:09Z: calls after that are denied',
    );
  });

  it('says so when no call was found', () => {
    const empty = usageReport(request(), { events: fixture('other-sessions.json') });
    expect(empty.calls).toEqual([]);
    expect(empty.suggestion).toEqual([]);
    expect(empty.grantedButUnused).toEqual(GRANT);
    expect(empty.notes.join(' ')).toContain('no calls found');
  });
});

describe('usageReport: suggestion shaping', () => {
  const ours = fixture('session-data-events.json')[0]!;
  const getObject = (key: string, i: number): CloudTrailEvent => ({
    ...ours,
    eventID: `ev-${i}`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    requestParameters: { bucketName: 'orders-it-fixtures', key },
    resources: undefined,
  });

  it(`collapses more than ${MAX_SUGGESTED_RESOURCES_PER_GROUP} resources into a common prefix inside the grant`, () => {
    const events = Array.from({ length: 12 }, (_, i) => getObject(`runs/42/object-${i}.json`, i));
    const report = usageReport(request(), { events });
    expect(report.suggestion).toEqual([
      { actions: ['s3:GetObject'], resources: [`${BUCKET}/runs/42/object-*`] },
    ]);
    expect(report.notes.join(' ')).toContain(`suggested as ${BUCKET}/runs/42/object-*`);
  });

  it('keeps the resources listed when their common prefix would leave the grant', () => {
    const grant: Permission[] = Array.from({ length: 11 }, (_, i) => ({
      actions: ['s3:GetObject'],
      resources: [`${BUCKET}/runs/42/object-${i}.json`],
    }));
    const events = Array.from({ length: 11 }, (_, i) => getObject(`runs/42/object-${i}.json`, i));
    const report = usageReport(request({ permissions: grant }), { events });
    expect(report.suggestion[0]!.resources).toHaveLength(11);
  });

  it('writes a key a policy cannot hold as a prefix pattern', () => {
    const report = usageReport(request(), { events: [getObject('seed/my orders.json', 1)] });
    expect(report.suggestion).toEqual([{ actions: ['s3:GetObject'], resources: [`${BUCKET}/seed/my*`] }]);
  });

  it('keeps the granted resources for a call whose record names none', () => {
    const event: CloudTrailEvent = {
      ...ours,
      eventSource: 'sqs.amazonaws.com',
      eventName: 'SendMessage',
      requestParameters: null,
      resources: undefined,
    };
    const report = usageReport(request(), { events: [event] });
    expect(report.calls[0]).toMatchObject({ resources: ['*'], allowedByGrant: true });
    expect(report.suggestion).toEqual([{ actions: ['sqs:SendMessage'], resources: [QUEUE] }]);
    expect(report.grantedButUnused.some((p) => p.actions.includes('sqs:SendMessage'))).toBe(false);
  });
});

describe('from records to IAM terms', () => {
  it.each([
    ['dynamodb.amazonaws.com', 'GetItem', 'dynamodb:GetItem'],
    ['s3.amazonaws.com', 'ListObjectsV2', 's3:ListBucket'],
    ['s3.amazonaws.com', 'HeadObject', 's3:GetObject'],
    ['s3.amazonaws.com', 'ListBuckets', 's3:ListAllMyBuckets'],
    ['lambda.amazonaws.com', 'GetFunction20150331v2', 'lambda:GetFunction'],
    ['lambda.amazonaws.com', 'Invoke', 'lambda:InvokeFunction'],
    ['monitoring.amazonaws.com', 'PutMetricData', 'cloudwatch:PutMetricData'],
    ['email.amazonaws.com', 'SendEmail', 'ses:SendEmail'],
    ['kms.amazonaws.com', 'decrypt', 'kms:Decrypt'],
  ])('%s %s is %s', (source, name, action) => {
    expect(actionFor(source, name)).toMatchObject({ action, known: true });
  });

  it('says when an event is not an IAM action', () => {
    expect(actionFor('dynamodb.amazonaws.com', 'TransactWriteItems')).toEqual({
      action: 'dynamodb:TransactWriteItems',
      known: false,
      note: expect.stringContaining('authorized per item'),
    });
  });

  it('finds the service of a multi-label event source', () => {
    expect(serviceOf('runtime.sagemaker.amazonaws.com')).toBe('sagemaker');
    expect(serviceOf('states.amazonaws.com')).toBe('states');
  });

  it.each([
    ['AccessDenied', true],
    ['AccessDeniedException', true],
    ['Client.UnauthorizedOperation', true],
    ['ConditionalCheckFailedException', false],
    ['ResourceNotFoundException', false],
    [undefined, false],
  ])('errorCode %s is a denial: %s', (code, denied) => {
    expect(isAccessDenied(code)).toBe(denied);
  });

  const base: CloudTrailEvent = {
    eventTime: '2026-03-01T12:00:00Z',
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'GetItem',
    awsRegion: 'eu-west-1',
    recipientAccountId: ACCOUNT,
    userIdentity: { arn: `arn:aws-cn:sts::${ACCOUNT}:assumed-role/r/s` },
  };

  it.each([
    [
      'a DynamoDB table name, in the record’s partition, region and account',
      { requestParameters: { tableName: 'orders' } },
      [`arn:aws-cn:dynamodb:eu-west-1:${ACCOUNT}:table/orders`],
    ],
    [
      'a DynamoDB table given by ARN',
      { requestParameters: { tableName: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/x` } },
      [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/x`],
    ],
    [
      'an SQS queue URL',
      {
        eventSource: 'sqs.amazonaws.com',
        requestParameters: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/q1` },
      },
      [`arn:aws-cn:sqs:eu-west-1:${ACCOUNT}:q1`],
    ],
    [
      'an SSM parameter name',
      { eventSource: 'ssm.amazonaws.com', requestParameters: { name: '/orders/it/url' } },
      [`arn:aws-cn:ssm:eu-west-1:${ACCOUNT}:parameter/orders/it/url`],
    ],
    [
      'resources[] for other services, without access keys',
      {
        eventSource: 'kms.amazonaws.com',
        requestParameters: { encryptionContext: {} },
        resources: [
          { type: 'AWS::KMS::Key', ARN: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234` },
          { type: 'AWS::IAM::AccessKey', ARN: `arn:aws:iam::${ACCOUNT}:accesskey/ASIAX` },
        ],
      },
      [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234`],
    ],
  ] as const)('resource from %s', (_what, patch, expected) => {
    expect(resourcesFor({ ...base, ...patch } as CloudTrailEvent)).toEqual({
      resources: expected,
      known: true,
    });
  });

  it('is * and unknown when the record names no resource', () => {
    expect(resourcesFor({ ...base, eventSource: 'sts.amazonaws.com', requestParameters: null })).toEqual({
      resources: ['*'],
      known: false,
    });
  });

  it('judges a call on the same statement for action and resource', () => {
    const grant: Permission[] = [
      { actions: ['dynamodb:GetItem'], resources: [TABLE] },
      { actions: ['dynamodb:PutItem'], resources: [`${TABLE}-other`] },
    ];
    expect(grantAllows(grant, 'dynamodb:getitem', [TABLE])).toBe(true);
    expect(grantAllows(grant, 'dynamodb:PutItem', [TABLE])).toBe(false);
    expect(grantAllows(grant, 'dynamodb:PutItem', ['*'], false)).toBe(true);
  });
});

describe('usageWindow', () => {
  const issued = request();

  it('runs from 5 minutes before issue to 5 minutes after expiry, and finds AssumeRole near the issue', () => {
    const window = usageWindow(issued, 'arn:aws:iam::123456789012:role/r', new Date('2026-03-02T00:00:00Z'));
    expect(window).toEqual({
      from: new Date('2026-03-01T11:55:02Z'),
      to: new Date('2026-03-01T12:20:02Z'),
      assumeRole: {
        roleArn: 'arn:aws:iam::123456789012:role/r',
        from: new Date('2026-03-01T11:55:02Z'),
        to: new Date('2026-03-01T12:05:02Z'),
      },
    });
  });

  it('never ends in the future', () => {
    const window = usageWindow(issued, undefined, new Date('2026-03-01T12:03:00Z'));
    expect(window).toEqual({ from: new Date('2026-03-01T11:55:02Z'), to: new Date('2026-03-01T12:03:00Z') });
  });
});
