import { createHash } from 'node:crypto';
/**
 * The audit sinks: S3 (one write-once object per entry, date-partitioned), EventBridge, the
 * Lambda wiring from the environment, and the local JSON-lines file sink.
 */
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditStreamHandlerFromEnv } from '../../functions/audit-stream/handler.ts';
import { AuditFileSink } from '../../local/audit-file-sink.ts';
import { toLambdaRecord } from '../../local/stream-poller.ts';
import { EventBridgeAuditPublisher } from '../../shared/adapters/audit-sink/eventbridge-publisher.ts';
import { S3AuditSink } from '../../shared/adapters/audit-sink/s3-audit-sink.ts';
import { readStreamRecord } from '../../shared/adapters/audit-sink/stream-records.ts';
import { type AuditSinkEntry, auditSinkEntryOf } from '../../shared/domain/audit-records.ts';

const s3 = mockClient(S3Client);
const events = mockClient(EventBridgeClient);
afterEach(() => {
  s3.reset();
  events.reset();
  vi.unstubAllEnvs();
});

const REQUEST_ID = '7d1f0c2e-4b8a-4c55-9e0b-3f6a2d9c1a01';
function fixture(name: string): DynamoDBRecord {
  return JSON.parse(
    readFileSync(new URL(`../events/dynamodb-stream/${name}.json`, import.meta.url), 'utf8'),
  ) as DynamoDBRecord;
}
function entryOf(name: string): AuditSinkEntry {
  const reading = readStreamRecord(fixture(name));
  if (!('audit' in reading)) throw new Error(`${name} is not an audit record`);
  return auditSinkEntryOf(reading.audit);
}
const created = entryOf('insert-audit-event');
const approved = entryOf('insert-audit-event-2');
const deleted = entryOf('remove-audit-event-by-user');

function preconditionFailed(): S3ServiceException {
  return new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412 },
    message: 'At least one of the pre-conditions you specified did not hold',
  });
}

/**
 * The integrity headers Object Lock requires on every put ("The Content-MD5 or
 * x-amz-sdk-checksum-algorithm header is required for any request to upload an object with a
 * retention period configured using Amazon S3 Object Lock", Amazon S3 API Reference: PutObject),
 * computed independently of the sink.
 */
function integrity(body: string) {
  return {
    ContentMD5: createHash('md5').update(body).digest('base64'),
    ChecksumAlgorithm: 'SHA256',
    ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
  };
}

describe('S3AuditSink', () => {
  it('sends Content-MD5 and a SHA-256 checksum with every put (Object Lock refuses puts without one)', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3AuditSink({ bucket: 'acme-jitvend-audit', client: new S3Client({}) }).write([
      created,
      approved,
    ]);
    for (const call of s3.commandCalls(PutObjectCommand)) {
      const input = call.args[0].input;
      expect(input).toMatchObject(integrity(String(input.Body)));
      expect(input.ContentMD5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    }
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });

  it('puts one write-once JSON-lines object per entry, partitioned by the day of the event', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3AuditSink({ bucket: 'acme-jitvend-audit', client: new S3Client({}) }).write([
      created,
      deleted,
    ]);

    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'acme-jitvend-audit',
        Key: `audit/yyyy=2026/mm=03/dd=14/${REQUEST_ID}/00000001.json`,
        Body: `${JSON.stringify(created)}\n`,
        ContentType: 'application/x-ndjson',
        ...integrity(`${JSON.stringify(created)}\n`),
        IfNoneMatch: '*',
      },
      {
        Bucket: 'acme-jitvend-audit',
        Key: `audit/yyyy=2026/mm=03/dd=14/${REQUEST_ID}/00000002.deleted.${deleted.kind === 'audit_event_deleted' ? deleted.streamSequenceNumber : ''}.json`,
        Body: `${JSON.stringify(deleted)}\n`,
        ContentType: 'application/x-ndjson',
        ...integrity(`${JSON.stringify(deleted)}\n`),
        IfNoneMatch: '*',
      },
    ]);
  });

  it('encrypts with SSE-KMS when a key is given', async () => {
    s3.on(PutObjectCommand).resolves({});
    const key = 'arn:aws:kms:us-east-1:123456789012:key/0b5d6e1c-1111-2222-3333-444455556666';
    await new S3AuditSink({ bucket: 'acme-jitvend-audit', kmsKeyId: key, client: new S3Client({}) }).write([
      created,
    ]);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'acme-jitvend-audit',
      Key: `audit/yyyy=2026/mm=03/dd=14/${REQUEST_ID}/00000001.json`,
      IfNoneMatch: '*',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: key,
      BucketKeyEnabled: true,
    });
  });

  it('takes 412 Precondition Failed as "already written" (redelivery) and carries on', async () => {
    s3.on(PutObjectCommand).rejectsOnce(preconditionFailed()).resolves({});
    await new S3AuditSink({ bucket: 'b-audit', client: new S3Client({}) }).write([created, approved]);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });

  it('throws any other error and stops before the next entry', async () => {
    s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    const sink = new S3AuditSink({ bucket: 'b-audit', client: new S3Client({}) });
    await expect(sink.write([created, approved])).rejects.toThrow('AccessDenied');
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  });
});

describe('EventBridgeAuditPublisher', () => {
  it('puts events with source jitvend, the event type as detail-type and the event as detail', async () => {
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });
    await new EventBridgeAuditPublisher({
      eventBusName: 'jitvend-audit',
      client: new EventBridgeClient({}),
    }).write([created, deleted]);
    const createdEvent = created.kind === 'audit_event' ? created.event : undefined;
    const { kind: _k, key: _key, ...deletedDetail } = deleted;
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'jitvend-audit',
          Source: 'jitvend',
          DetailType: 'request_created',
          Detail: JSON.stringify({ ...createdEvent, hashValid: true }),
          Time: new Date('2026-03-14T09:26:53.589Z'),
        },
        {
          EventBusName: 'jitvend-audit',
          Source: 'jitvend',
          DetailType: 'audit_event_deleted',
          Detail: JSON.stringify(deletedDetail),
          Time: new Date(1773490000 * 1000),
        },
      ],
    });
  });

  it('sends at most 10 entries per PutEvents call', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const many = Array.from({ length: 23 }, () => created);
    await new EventBridgeAuditPublisher({ eventBusName: 'bus', client: new EventBridgeClient({}) }).write(
      many,
    );
    expect(events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
  });

  it('throws when EventBridge rejects an entry, so the record is retried', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const publisher = new EventBridgeAuditPublisher({
      eventBusName: 'bus',
      client: new EventBridgeClient({}),
    });
    await expect(publisher.write([created])).rejects.toThrow(
      'EventBridge rejected 1 audit event(s): ThrottlingException',
    );
  });
});

describe('the Lambda wiring (auditStreamHandlerFromEnv)', () => {
  it('fails fast naming a missing AUDIT_BUCKET', async () => {
    await expect(auditStreamHandlerFromEnv({ EVENT_BUS_NAME: 'bus' })).rejects.toThrow(/AUDIT_BUCKET/);
  });

  it('writes to S3 first, then publishes on the bus; a failed publish fails the record', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    s3.on(PutObjectCommand).resolves({});
    events.on(PutEventsCommand).rejectsOnce(new Error('EventBridge down')).resolves({ FailedEntryCount: 0 });
    const handler = await auditStreamHandlerFromEnv({
      AUDIT_BUCKET: 'acme-jitvend-audit',
      EVENT_BUS_NAME: 'jitvend-audit',
      AUDIT_KMS_KEY_ID: 'alias/jitvend-audit',
    });
    const first = await handler({ Records: [fixture('insert-audit-event'), fixture('insert-credentials')] });
    expect(first).toEqual({
      batchItemFailures: [{ itemIdentifier: fixture('insert-audit-event').dynamodb!.SequenceNumber }],
    });
    // redelivery: S3 answers 412 (already there), the publish goes through
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    const second = await handler({ Records: [fixture('insert-audit-event'), fixture('insert-credentials')] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'acme-jitvend-audit',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/jitvend-audit',
    });
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    // the credentials record went nowhere
    const sent = JSON.stringify([
      ...s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input),
      ...events.commandCalls(PutEventsCommand).map((c) => c.args[0].input),
    ]);
    expect(sent).not.toMatch(/ciphertext|ASIAJITVENDLOCAL/);
  });
});

describe('AuditFileSink (local)', () => {
  it('appends one line per entry to <dataDir>/audit/<day>.jsonl, once per key, across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-audit-sink-'));
    try {
      const sink = await AuditFileSink.open(dataDir);
      await sink.write([created, approved]);
      await sink.write([created, approved, deleted]);
      const reopened = await AuditFileSink.open(dataDir);
      expect(reopened.size).toBe(3);
      await reopened.write([created, deleted]);

      expect(await readdir(join(dataDir, 'audit'))).toEqual(['2026-03-14.jsonl']);
      const lines = (await readFile(join(dataDir, 'audit', '2026-03-14.jsonl'), 'utf8')).trim().split('\n');
      expect(lines.map((line) => JSON.parse(line))).toEqual([created, approved, deleted]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('survives a line torn by a crash: the entry is written again, whole, on its own line', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-audit-sink-'));
    try {
      await (await AuditFileSink.open(dataDir)).write([created]);
      const file = join(dataDir, 'audit', '2026-03-14.jsonl');
      await appendFile(file, JSON.stringify(approved).slice(0, 40));
      await (await AuditFileSink.open(dataDir)).write([approved]);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(JSON.parse(lines[2]!)).toEqual(approved);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('toLambdaRecord (local poller)', () => {
  it('turns a DynamoDB Streams SDK record into the shape Lambda delivers', () => {
    const record = toLambdaRecord(
      {
        eventID: 'e1',
        eventName: 'REMOVE',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'ddblocal',
        dynamodb: {
          ApproximateCreationDateTime: new Date('2026-03-14T09:26:00.000Z'),
          Keys: { PK: { S: 'REQ#r1' }, SK: { S: 'CREDENTIALS' } },
          OldImage: {
            blob: { B: new Uint8Array([1, 2, 255]) },
            list: { L: [{ N: '1' }, { M: { a: { BOOL: true } } }] },
          },
          SequenceNumber: '000000000000000000042',
          SizeBytes: 40,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
      },
      'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x',
    );
    expect(record).toEqual({
      eventID: 'e1',
      eventName: 'REMOVE',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      eventSourceARN: 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x',
      dynamodb: {
        ApproximateCreationDateTime: Date.parse('2026-03-14T09:26:00.000Z') / 1000,
        Keys: { PK: { S: 'REQ#r1' }, SK: { S: 'CREDENTIALS' } },
        OldImage: { blob: { B: 'AQL/' }, list: { L: [{ N: '1' }, { M: { a: { BOOL: true } } }] } },
        SequenceNumber: '000000000000000000042',
        SizeBytes: 40,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    });
    expect(readStreamRecord(record)).toEqual({ ignored: 'REMOVE credentials (ttl)' });
  });
});
