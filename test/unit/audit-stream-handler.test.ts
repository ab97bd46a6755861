/**
 * The audit stream handler on fixtures in the shape Lambda delivers DynamoDB stream records
 * (test/events/dynamodb-stream/): what is shipped, what never is, redelivery and partial failure.
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeAuditStreamHandler } from '../../functions/audit-stream/handler.ts';
import { verifyAuditChain } from '../../shared/domain/audit.ts';
import type { AuditSink, AuditSinkEntry } from '../../shared/domain/audit-records.ts';
import type { Logger } from '../../shared/domain/ports.ts';
import type { AuditEvent } from '../../shared/domain/types.ts';

const REQUEST_ID = '7d1f0c2e-4b8a-4c55-9e0b-3f6a2d9c1a01';

function fixture(name: string): DynamoDBRecord {
  return JSON.parse(
    readFileSync(new URL(`../events/dynamodb-stream/${name}.json`, import.meta.url), 'utf8'),
  ) as DynamoDBRecord;
}
const batch = (...names: string[]): DynamoDBStreamEvent => ({ Records: names.map(fixture) });
const seqOf = (name: string) => fixture(name).dynamodb!.SequenceNumber!;

/** An idempotent in-memory sink (by entry key), like the real ones; optionally fails on chosen calls. */
function memorySink(failOnCall?: (call: number) => boolean) {
  const stored = new Map<string, AuditSinkEntry>();
  let calls = 0;
  const sink: AuditSink = {
    async write(entries) {
      calls++;
      if (failOnCall?.(calls)) throw new Error('S3 is having a bad day');
      for (const entry of entries) if (!stored.has(entry.key)) stored.set(entry.key, entry);
    },
  };
  return { sink, stored, calls: () => calls };
}

function memoryLogger() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  const logger: Logger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines, text: () => JSON.stringify(lines) };
}

const SECRETS = /ciphertext|ASIAJITVENDLOCAL|task-token|taskToken|must-never-ship/;

describe('audit stream handler', () => {
  it('ships an INSERT of an audit event as written, with its hash checked', async () => {
    const { sink, stored } = memorySink();
    const { logger, lines } = memoryLogger();
    const result = await makeAuditStreamHandler(sink, logger)(batch('insert-audit-event'));

    expect(result).toEqual({ batchItemFailures: [] });
    const entry = stored.get(`${REQUEST_ID}/00000001`);
    expect(entry).toMatchObject({ kind: 'audit_event', hashValid: true, at: '2026-03-14T09:26:53.589Z' });
    const event = (entry as { event: AuditEvent }).event;
    expect(event).toEqual({
      requestId: REQUEST_ID,
      seq: 1,
      type: 'request_created',
      actor: 'repo:acme/orders:ref:refs/heads/main',
      channel: 'api',
      at: '2026-03-14T09:26:53.589Z',
      to: 'pending_approval',
      sessionPolicyHash: 'c0ffee'.padEnd(64, '0'),
      detail: { profile: 'orders-it', reason: 'integration tests' },
      prevHash: 'GENESIS',
      hash: event.hash,
    });
    expect(verifyAuditChain([event])).toEqual({ ok: true });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it.each([
    ['MODIFY of a request item', 'modify-request', 'MODIFY request'],
    ['INSERT of sealed credentials', 'insert-credentials', 'INSERT credentials'],
    ['REMOVE of credentials by TTL', 'remove-credentials-ttl', 'REMOVE credentials (ttl)'],
    ['REMOVE of a task token by TTL', 'remove-task-token-ttl', 'REMOVE task_token (ttl)'],
  ])('never ships a %s, only counts it', async (_what, name, counted) => {
    const { sink, stored } = memorySink();
    const { logger, lines, text } = memoryLogger();
    const result = await makeAuditStreamHandler(sink, logger)(batch(name));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(stored.size).toBe(0);
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'audit stream batch',
        fields: { records: 1, shipped: 0, ignored: { [counted]: 1 } },
      },
    ]);
    expect(text()).not.toMatch(SECRETS);
  });

  it('ships a user deletion of an audit event as audit_event_deleted: key and who, never the event', async () => {
    const { sink, stored } = memorySink();
    const { logger, lines } = memoryLogger();
    await makeAuditStreamHandler(sink, logger)(batch('remove-audit-event-by-user'));

    const original = fixture('insert-audit-event-2').dynamodb!.NewImage!;
    const sequenceNumber = seqOf('remove-audit-event-by-user');
    expect([...stored.values()]).toEqual([
      {
        kind: 'audit_event_deleted',
        key: `${REQUEST_ID}/00000002.deleted.${sequenceNumber}`,
        at: new Date(1773490000 * 1000).toISOString(),
        requestId: REQUEST_ID,
        seq: 2,
        streamSequenceNumber: sequenceNumber,
        by: 'user',
        before: { type: 'request_approved', hash: original.hash!.S },
      },
    ]);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({
      message: 'AUDIT TAMPERING: audit event deleted',
      fields: { kind: 'audit_event_deleted', requestId: REQUEST_ID, seq: 2, by: 'user' },
    });
  });

  it('tells a TTL deletion of an audit event (service principal) from a user deletion', async () => {
    const record = fixture('remove-audit-event-by-user');
    record.userIdentity = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
    const { sink, stored } = memorySink();
    await makeAuditStreamHandler(sink, memoryLogger().logger)({ Records: [record] });
    expect([...stored.values()][0]).toMatchObject({
      kind: 'audit_event_deleted',
      by: 'ttl',
      principalId: 'dynamodb.amazonaws.com',
    });

    // any other identity (even a Service one) is not TTL
    record.userIdentity = { type: 'Service', principalId: 'someone.amazonaws.com' };
    const other = memorySink();
    await makeAuditStreamHandler(other.sink, memoryLogger().logger)({ Records: [record] });
    expect([...other.stored.values()][0]).toMatchObject({ by: 'user' });
  });

  it('ships a change to a stored audit event as audit_event_modified with both hashes', async () => {
    const { sink, stored } = memorySink();
    const { logger, lines } = memoryLogger();
    await makeAuditStreamHandler(sink, logger)(batch('modify-audit-event'));
    const record = fixture('modify-audit-event').dynamodb!;
    expect([...stored.values()]).toEqual([
      expect.objectContaining({
        kind: 'audit_event_modified',
        requestId: REQUEST_ID,
        seq: 1,
        by: 'user',
        before: { type: 'request_created', hash: record.OldImage!.hash!.S },
        after: { type: 'request_created', hash: record.NewImage!.hash!.S },
      }),
    ]);
    expect(lines.some((l) => l.level === 'error' && l.message.includes('modified'))).toBe(true);
  });

  it('ships an audit event whose hash does not match, flagged, and logs it loudly', async () => {
    const record = fixture('insert-audit-event');
    record.dynamodb!.NewImage!.actor = { S: 'repo:evil/fork:ref:refs/heads/main' };
    const { sink, stored } = memorySink();
    const { logger, lines } = memoryLogger();
    await makeAuditStreamHandler(sink, logger)({ Records: [record] });

    expect(stored.get(`${REQUEST_ID}/00000001`)).toMatchObject({
      kind: 'audit_event',
      hashValid: false,
      problem: `the hash of event 1 of ${REQUEST_ID} does not match`,
    });
    expect(lines).toContainEqual({
      level: 'error',
      message: 'AUDIT TAMPERING: audit event hash mismatch',
      fields: {
        requestId: REQUEST_ID,
        seq: 1,
        problem: `the hash of event 1 of ${REQUEST_ID} does not match`,
      },
    });
  });

  it('ships an audit item that is not the event its key names as audit_event_invalid, without its content', async () => {
    const record = fixture('insert-audit-event');
    record.dynamodb!.NewImage!.seq = { N: '7' };
    record.dynamodb!.NewImage!.note = { S: 'ASIAJITVENDLOCALAB12 must-never-ship' };
    const { sink, stored } = memorySink();
    await makeAuditStreamHandler(sink, memoryLogger().logger)({ Records: [record] });
    const entries = [...stored.values()];
    expect(entries).toEqual([
      expect.objectContaining({
        kind: 'audit_event_invalid',
        seq: 1,
        problem: 'the event names another request or seq than the key it is stored under',
      }),
    ]);
    expect(JSON.stringify(entries)).not.toMatch(SECRETS);
  });

  it('ships only audit entries from a mixed batch, in order, and no secret reaches the sink or the log', async () => {
    const { sink, stored } = memorySink();
    const { logger, text } = memoryLogger();
    const result = await makeAuditStreamHandler(
      sink,
      logger,
    )(
      batch(
        'insert-audit-event',
        'modify-request',
        'insert-credentials',
        'insert-audit-event-2',
        'remove-credentials-ttl',
        'remove-task-token-ttl',
        'remove-audit-event-by-user',
      ),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect([...stored.values()].map((e) => e.kind)).toEqual([
      'audit_event',
      'audit_event',
      'audit_event_deleted',
    ]);
    const events = [...stored.values()].flatMap((e) => (e.kind === 'audit_event' ? [e.event] : []));
    expect(verifyAuditChain(events)).toEqual({ ok: true });
    expect(JSON.stringify([...stored.values()])).not.toMatch(SECRETS);
    expect(text()).not.toMatch(SECRETS);
  });

  it('writes each entry once when the same batch is delivered twice', async () => {
    const { sink, stored } = memorySink();
    const handler = makeAuditStreamHandler(sink, memoryLogger().logger);
    const event = batch('insert-audit-event', 'insert-audit-event-2', 'remove-audit-event-by-user');
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const first = JSON.stringify([...stored.entries()]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(stored.size).toBe(3);
    expect(JSON.stringify([...stored.entries()])).toBe(first);
  });

  it('reports the first record the sink fails on and writes nothing after it', async () => {
    // the sink fails on its 2nd write: the 2nd audit record of the batch
    const { sink, stored, calls } = memorySink((call) => call === 2);
    const { logger, lines } = memoryLogger();
    const result = await makeAuditStreamHandler(
      sink,
      logger,
    )(batch('insert-audit-event', 'modify-request', 'insert-audit-event-2', 'remove-audit-event-by-user'));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf('insert-audit-event-2') }] });
    expect([...stored.keys()]).toEqual([`${REQUEST_ID}/00000001`]);
    expect(calls()).toBe(2);
    expect(lines).toContainEqual({
      level: 'error',
      message: 'audit stream: record not shipped; the batch stops here and is retried from it',
      fields: { sequenceNumber: seqOf('insert-audit-event-2'), error: 'Error: S3 is having a bad day' },
    });
  });

  it('reports a record it cannot read as the failure, keeping order', async () => {
    const { sink, stored } = memorySink();
    const broken = fixture('insert-audit-event-2');
    delete broken.dynamodb!.Keys;
    const result = await makeAuditStreamHandler(
      sink,
      memoryLogger().logger,
    )({
      Records: [fixture('insert-audit-event'), broken, fixture('remove-audit-event-by-user')],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf('insert-audit-event-2') }] });
    expect(stored.size).toBe(1);
  });
});
