/**
 * The LookupEvents usage source with aws-sdk-client-mock: the exact lookups it sends
 * (attributes, time range, page size, NextToken), its page and time budgets, its pacing under
 * CloudTrail's 2 calls per second, and its back-off on ThrottlingException.
 */
import { readFileSync } from 'node:fs';
import {
  CloudTrailClient,
  CloudTrailServiceException,
  type Event,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudTrailLookupEventsSource,
  LOOKUP_MIN_INTERVAL_MS,
  type LookupEventsSourceOptions,
} from '../../shared/adapters/cloudtrail/lookup-events-source.ts';
import { MANAGEMENT_EVENTS_ONLY_NOTE } from '../../shared/adapters/cloudtrail/records.ts';
import type { CloudTrailEvent, UsageWindow } from '../../shared/domain/usage/session-records.ts';

const fixture = (name: string): CloudTrailEvent[] =>
  (
    JSON.parse(readFileSync(new URL(`../events/cloudtrail/${name}`, import.meta.url), 'utf8')) as {
      Records: CloudTrailEvent[];
    }
  ).Records;

const SID = 'jitvend-3f1c2b9e-8d4a-4e7b-9c61-2a5d7e0f4b18';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const WINDOW: UsageWindow = {
  from: new Date('2026-03-01T11:55:02Z'),
  to: new Date('2026-03-01T12:20:02Z'),
  assumeRole: { roleArn: ROLE, from: new Date('2026-03-01T11:55:02Z'), to: new Date('2026-03-01T12:05:02Z') },
};

/** A record as LookupEvents returns it: summary fields, and the record itself as JSON text. */
function asLookupEvent(record: CloudTrailEvent): Event {
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    EventTime: new Date(record.eventTime),
    EventSource: record.eventSource,
    ReadOnly: String(record.readOnly),
    Username: record.userIdentity?.arn?.split('/').pop(),
    AccessKeyId: record.userIdentity?.accessKeyId,
    Resources: record.resources?.map((r) => ({ ResourceType: r.type, ResourceName: r.ARN })),
    CloudTrailEvent: JSON.stringify(record),
  };
}

const management = fixture('session-management-events.json');
const others = fixture('other-sessions.json');
const assumeRoles = [...fixture('assume-role.json'), ...others.filter((e) => e.eventName === 'AssumeRole')];

const cloudtrail = mockClient(CloudTrailClient);
let t: number;
let sleeps: number[];

beforeEach(() => {
  t = Date.parse('2026-03-02T00:00:00Z');
  sleeps = [];
});
afterEach(() => {
  cloudtrail.reset();
});

function source(options: LookupEventsSourceOptions = {}) {
  return new CloudTrailLookupEventsSource({
    clients: [new CloudTrailClient({ region: 'us-east-1' })],
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    ...options,
  });
}

function throttled() {
  return new CloudTrailServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });
}

describe('CloudTrailLookupEventsSource', () => {
  it('looks up the session by user name over the window, page by page, then its AssumeRole by role ARN', async () => {
    cloudtrail
      .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: SID }] })
      .resolvesOnce({ Events: [asLookupEvent(management[0]!)], NextToken: 'page-2' })
      .resolvesOnce({ Events: [asLookupEvent(management[1]!)] });
    cloudtrail
      .on(LookupEventsCommand, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: ROLE }] })
      .resolves({ Events: assumeRoles.map(asLookupEvent) });

    const found = await source().eventsFor(SID, WINDOW);

    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
    expect(cloudtrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 1, {
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: SID }],
      StartTime: new Date('2026-03-01T11:55:02Z'),
      EndTime: new Date('2026-03-01T12:20:02Z'),
      MaxResults: 50,
    });
    expect(cloudtrail.commandCalls(LookupEventsCommand)[0]!.args[0].input.NextToken).toBeUndefined();
    expect(cloudtrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 2, {
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: SID }],
      StartTime: new Date('2026-03-01T11:55:02Z'),
      EndTime: new Date('2026-03-01T12:20:02Z'),
      MaxResults: 50,
      NextToken: 'page-2',
    });
    expect(cloudtrail).toHaveReceivedNthCommandWith(LookupEventsCommand, 3, {
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: ROLE }],
      StartTime: new Date('2026-03-01T11:55:02Z'),
      EndTime: new Date('2026-03-01T12:05:02Z'),
      MaxResults: 50,
    });
    expect(found.events.map((e) => e.eventID)).toEqual([
      management[0]!.eventID,
      management[1]!.eventID,
      'a1f0c7e2-4b8d-4c1e-9f3a-6d2b8e5c0a11', // this session's AssumeRole, not the other session's
    ]);
    expect(found).toMatchObject({
      truncated: false,
      source: 'cloudtrail:LookupEvents (us-east-1)',
      notes: [MANAGEMENT_EVENTS_ONLY_NOTE],
    });
  });

  it('skips the AssumeRole lookup when the role is unknown', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    await source().eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 1);
  });

  it('keeps only records that may be the session’s, and skips records that are not JSON', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        ...others.map(asLookupEvent),
        { EventId: 'broken', CloudTrailEvent: '{not json' },
        asLookupEvent(management[1]!),
      ],
    });
    const found = await source().eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(found.events.map((e) => e.eventName)).toEqual(['DescribeTable']);
  });

  it('stops at maxPages and says the answer is truncated', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolves({ Events: [asLookupEvent(management[0]!)], NextToken: 'more' });
    const found = await source({ maxPages: 3 }).eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
    expect(found.truncated).toBe(true);
    expect(found.events).toHaveLength(3);
  });

  it('stops when its time budget is spent', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [], NextToken: 'more' });
    const found = await source({ budgetMs: 2_000 }).eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    // one call now, then one every 550 ms: the fifth would start after the 2 s budget
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 4);
    expect(found.truncated).toBe(true);
  });

  it('paces its calls under 2 per second', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [], NextToken: 'a' })
      .resolvesOnce({ Events: [], NextToken: 'b' })
      .resolves({ Events: [] });
    await source().eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(sleeps).toEqual([LOOKUP_MIN_INTERVAL_MS, LOOKUP_MIN_INTERVAL_MS]);
  });

  it('backs off on ThrottlingException and sends the same page again', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ Events: [asLookupEvent(management[0]!)] });
    const found = await source().eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(found.events).toHaveLength(1);
    expect(sleeps).toEqual([1_100, 2_200]);
    const inputs = cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(new Set(inputs.map((i) => JSON.stringify(i))).size).toBe(1);
  });

  it('gives up after its throttle retries with the SDK error', async () => {
    cloudtrail.on(LookupEventsCommand).rejects(throttled());
    await expect(
      source({ throttleRetries: 2 }).eventsFor(SID, { from: WINDOW.from, to: WINDOW.to }),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
  });

  it('answers with what it has, truncated, when throttling outlasts the time budget', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [asLookupEvent(management[0]!)], NextToken: 'more' })
      .rejects(throttled());
    const found = await source({ budgetMs: 3_000 }).eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(found.events).toHaveLength(1);
    expect(found.truncated).toBe(true);
    // 550 ms pacing, then 1.1 s back-off; the next 2.2 s back-off would end after the 3 s budget
    expect(sleeps).toEqual([550, 1_100]);
  });

  it('does not retry other errors', async () => {
    cloudtrail.on(LookupEventsCommand).rejects(
      new CloudTrailServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'not authorized to perform: cloudtrail:LookupEvents',
      }),
    );
    await expect(source().eventsFor(SID, { from: WINDOW.from, to: WINDOW.to })).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 1);
  });

  it('searches every configured region and names them', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [asLookupEvent(management[0]!)] });
    const found = await source({
      clients: [new CloudTrailClient({ region: 'us-east-1' }), new CloudTrailClient({ region: 'eu-west-1' })],
      managementEventsOnlyNote: false,
    }).eventsFor(SID, { from: WINDOW.from, to: WINDOW.to });
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 2);
    expect(found).toMatchObject({ source: 'cloudtrail:LookupEvents (us-east-1, eu-west-1)', notes: [] });
    expect(found.events).toHaveLength(2);
  });
});
