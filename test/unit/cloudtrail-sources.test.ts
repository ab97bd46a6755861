/**
 * The other usage sources: a trail's gzipped log files in S3 (data events), the local
 * stack's CloudTrail stand-in (files in the data dir), and the AWS wiring from the environment.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  awsUsageSource,
  CloudTrailLookupEventsSource,
  CombinedUsageSource,
} from '../../shared/adapters/cloudtrail/index.ts';
import { LocalCloudTrailStandIn } from '../../shared/adapters/cloudtrail/local-stand-in.ts';
import { CloudTrailS3Source, daysOf, logFileTime } from '../../shared/adapters/cloudtrail/s3-log-source.ts';
import type { UsageSource } from '../../shared/domain/ports.ts';
import type { CloudTrailEvent, UsageWindow } from '../../shared/domain/usage/session-records.ts';

const FIXTURES = new URL('../events/cloudtrail/', import.meta.url);
const fixtureText = (name: string) => readFile(new URL(name, FIXTURES), 'utf8');
const records = async (name: string) =>
  (JSON.parse(await fixtureText(name)) as { Records: CloudTrailEvent[] }).Records;

const SID = 'jitvend-3f1c2b9e-8d4a-4e7b-9c61-2a5d7e0f4b18';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const WINDOW: UsageWindow = {
  from: new Date('2026-03-01T11:55:02Z'),
  to: new Date('2026-03-01T12:20:02Z'),
  assumeRole: { roleArn: ROLE, from: new Date('2026-03-01T11:55:02Z'), to: new Date('2026-03-01T12:05:02Z') },
};
const DAY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/01/';
const file = (hhmm: string, unique: string) =>
  `${DAY}123456789012_CloudTrail_us-east-1_20260301T${hhmm}Z_${unique}.json.gz`;

describe('CloudTrailS3Source', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => {
    s3.reset();
  });

  const body = (bytes: Uint8Array) => ({ transformToByteArray: async () => bytes }) as never;

  async function givenLogFiles(): Promise<void> {
    s3.on(ListObjectsV2Command, { Prefix: DAY })
      .resolvesOnce({
        Contents: [
          { Key: file('1150', 'before') }, // written before the window: not read
          { Key: file('1205', 'mgmt') },
          { Key: `${DAY}123456789012_CloudTrail-Digest_us-east-1_20260301T1205Z_x.json` },
        ],
        IsTruncated: true,
        NextContinuationToken: 'next',
      })
      .resolvesOnce({ Contents: [{ Key: file('1210', 'data') }, { Key: file('1215', 'others') }] });
    const gz = async (name: string) => body(gzipSync(Buffer.from(await fixtureText(name))));
    s3.on(GetObjectCommand, { Key: file('1205', 'mgmt') }).resolves({
      Body: body(
        gzipSync(
          JSON.stringify({
            Records: [
              ...(await records('assume-role.json')),
              ...(await records('session-management-events.json')),
            ],
          }),
        ),
      ),
    });
    s3.on(GetObjectCommand, { Key: file('1210', 'data') }).resolves({
      Body: await gz('session-data-events.json'),
    });
    // served already decoded (Content-Encoding: gzip): read as it is
    s3.on(GetObjectCommand, { Key: file('1215', 'others') }).resolves({
      Body: body(Buffer.from(await fixtureText('other-sessions.json'))),
    });
  }

  it('lists the session’s day folders, reads the files of the window, keeps the session’s records', async () => {
    await givenLogFiles();
    const source = new CloudTrailS3Source({
      bucket: 'acme-trail',
      regions: ['us-east-1'],
      client: new S3Client({ region: 'us-east-1' }),
    });
    const found = await source.eventsFor(SID, WINDOW);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'acme-trail', Prefix: DAY });
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 2, {
      Bucket: 'acme-trail',
      Prefix: DAY,
      ContinuationToken: 'next',
    });
    const read = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key);
    expect(read).toEqual([file('1205', 'mgmt'), file('1210', 'data'), file('1215', 'others')]);
    expect(found.events.map((e) => e.eventName)).toEqual([
      'AssumeRole',
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
    expect(found).toMatchObject({
      truncated: false,
      source: 's3://acme-trail/AWSLogs/123456789012/CloudTrail/',
    });
  });

  it('stops at maxObjects and says the answer is truncated', async () => {
    await givenLogFiles();
    const source = new CloudTrailS3Source({
      bucket: 'acme-trail',
      regions: ['us-east-1'],
      client: new S3Client({ region: 'us-east-1' }),
      maxObjects: 1,
    });
    const found = await source.eventsFor(SID, WINDOW);
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    expect(found.truncated).toBe(true);
  });

  it('reads an organization trail under its prefix, in every region and every day the window touches', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    const source = new CloudTrailS3Source({
      bucket: 'org-trail',
      prefix: 'trails/',
      organizationId: 'o-a1b2c3d4e5',
      accountId: '123456789012',
      regions: ['us-east-1', 'eu-west-1'],
      client: new S3Client({ region: 'us-east-1' }),
    });
    await source.eventsFor(SID, {
      from: new Date('2026-03-01T23:50:00Z'),
      to: new Date('2026-03-02T00:10:00Z'),
    });
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'trails/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/us-east-1/2026/03/01/',
      'trails/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/us-east-1/2026/03/02/',
      'trails/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/eu-west-1/2026/03/01/',
      'trails/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/eu-west-1/2026/03/02/',
    ]);
  });

  it('needs the account: from the role or given', async () => {
    const source = new CloudTrailS3Source({ bucket: 'b', regions: ['us-east-1'], client: new S3Client({}) });
    await expect(source.eventsFor(SID, { from: WINDOW.from, to: WINDOW.to })).rejects.toThrow(/accountId/);
  });

  it('reads the time of a log file from its name', () => {
    expect(logFileTime(file('1205', 'x'))).toBe(Date.parse('2026-03-01T12:05:00Z'));
    expect(logFileTime(`${DAY}digest.json`)).toBeUndefined();
    expect(daysOf(new Date('2026-02-28T23:00:00Z'), new Date('2026-03-01T01:00:00Z'))).toEqual([
      '2026/02/28',
      '2026/03/01',
    ]);
  });
});

describe('LocalCloudTrailStandIn', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jitvend-cloudtrail-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads log-file documents, lists and single records from <dataDir>/cloudtrail/*.json', async () => {
    await writeFile(join(dir, 'a.json'), await fixtureText('session-data-events.json'));
    await writeFile(join(dir, 'b.json'), JSON.stringify(await records('assume-role.json')));
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify((await records('session-management-events.json'))[1]),
    );
    await writeFile(join(dir, 'd.json'), await fixtureText('other-sessions.json'));
    await writeFile(join(dir, 'e.json'), '{ not json');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const found = await new LocalCloudTrailStandIn(dir).eventsFor(SID, WINDOW);
    expect(found.events.map((e) => e.eventName).sort()).toEqual(
      [
        'AssumeRole',
        'DeleteItem',
        'DescribeTable',
        'GetItem',
        'GetItem',
        'GetObject',
        'PutItem',
        'PutItem',
        'Query',
      ].sort(),
    );
    expect(found.source).toBe(`local CloudTrail stand-in (${dir}/*.json)`);
    expect(found.notes).toContain('e.json is not JSON: skipped');
  });

  it('keeps only records within the window', async () => {
    await writeFile(join(dir, 'a.json'), await fixtureText('session-data-events.json'));
    const found = await new LocalCloudTrailStandIn(dir).eventsFor(SID, {
      from: new Date('2026-03-01T12:00:07Z'),
      to: new Date('2026-03-01T12:00:08Z'),
    });
    expect(found.events.map((e) => e.eventTime)).toEqual(['2026-03-01T12:00:07Z', '2026-03-01T12:00:08Z']);
  });

  it('finds nothing, without failing, when the directory does not exist', async () => {
    const found = await new LocalCloudTrailStandIn(join(dir, 'missing')).eventsFor(SID, WINDOW);
    expect(found.events).toEqual([]);
    expect(found.notes?.[0]).toContain('there is no CloudTrail');
  });
});

describe('CombinedUsageSource', () => {
  it('puts the answers together', async () => {
    const a: UsageSource = {
      eventsFor: async () => ({ events: [], truncated: false, source: 'a', notes: ['x'] }),
    };
    const b: UsageSource = {
      eventsFor: async () => ({ events: [], truncated: true, source: 'b', notes: ['x', 'y'] }),
    };
    expect(await new CombinedUsageSource([a, b]).eventsFor(SID, WINDOW)).toEqual({
      events: [],
      truncated: true,
      source: 'a + b',
      notes: ['x', 'y'],
    });
  });
});

describe('awsUsageSource', () => {
  it('is LookupEvents alone without a trail bucket', () => {
    expect(awsUsageSource({ AWS_REGION: 'us-east-1' })).toBeInstanceOf(CloudTrailLookupEventsSource);
  });

  it('adds the trail’s S3 log files when CLOUDTRAIL_BUCKET is set', async () => {
    const source = awsUsageSource({
      AWS_REGION: 'us-east-1',
      CLOUDTRAIL_BUCKET: 'acme-trail',
      CLOUDTRAIL_PREFIX: 'trails',
      CLOUDTRAIL_REGIONS: 'us-east-1, eu-west-1',
    });
    expect(source).toBeInstanceOf(CombinedUsageSource);
    const cloudtrail = mockClient(CloudTrailClient);
    const s3 = mockClient(S3Client);
    cloudtrail.onAnyCommand().resolves({ Events: [] });
    s3.onAnyCommand().resolves({ Contents: [] });
    try {
      const found = await source.eventsFor(SID, WINDOW);
      expect(found.source).toBe(
        'cloudtrail:LookupEvents (us-east-1, eu-west-1) + s3://acme-trail/trails/AWSLogs/123456789012/CloudTrail/',
      );
      // the trail holds the data events: no "management events only" warning
      expect(found.notes).toEqual([]);
    } finally {
      cloudtrail.restore();
      s3.restore();
    }
  });

  it('fails fast naming a bad variable', () => {
    expect(() => awsUsageSource({ CLOUDTRAIL_REGIONS: 'us-east-1,mars' })).toThrow(/CLOUDTRAIL_REGIONS/);
  });
});
