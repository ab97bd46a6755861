/**
 * The local stream poller on DynamoDB Local's real stream, with the handler the Lambda runs:
 * a user deleting an audit event, sealed credentials passing by, a failing sink, and a
 * restart from the saved position.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAuditStreamHandler } from '../../functions/audit-stream/handler.ts';
import { AuditFileSink } from '../../local/audit-file-sink.ts';
import { type StreamPoller, startStreamPoller } from '../../local/stream-poller.ts';
import { keys } from '../../shared/adapters/dynamodb/table.ts';
import { chainAuditEvent, GENESIS_HASH } from '../../shared/domain/audit.ts';
import type { AuditSink, AuditSinkEntry } from '../../shared/domain/audit-records.ts';
import type { Logger } from '../../shared/domain/ports.ts';
import type { AuditEvent } from '../../shared/domain/types.ts';
import { useDynamoDbLocal } from '../helpers/dynamodb.ts';

const ddb = useDynamoDbLocal();
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
let tableName: string;
let dir: string;

beforeAll(async () => {
  tableName = await ddb.createTable('audit-poller');
  dir = await mkdtemp(join(tmpdir(), 'jitvend-audit-poller-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A chain of `n` events for one request. */
function chain(requestId: string, n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let seq = 1; seq <= n; seq++) {
    events.push(
      chainAuditEvent(requestId, seq, events.at(-1)?.hash ?? GENESIS_HASH, {
        type: seq === 1 ? 'request_created' : 'decision_recorded',
        actor: 'alice',
        channel: 'api',
        at: new Date().toISOString(),
      }),
    );
  }
  return events;
}

async function putAudit(event: AuditEvent): Promise<void> {
  await ddb.documentClient.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...event, ...keys.audit(event.requestId, event.seq), itemType: 'audit' },
    }),
  );
}

async function lines(dataDir: string): Promise<AuditSinkEntry[]> {
  const auditDir = join(dataDir, 'audit');
  const names = (await readdir(auditDir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.jsonl'))
    .sort();
  const out: AuditSinkEntry[] = [];
  for (const name of names) {
    for (const line of (await readFile(join(auditDir, name), 'utf8')).split('\n')) {
      if (line.trim() !== '') out.push(JSON.parse(line) as AuditSinkEntry);
    }
  }
  return out;
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

describe('local stream poller', () => {
  const dataDir = () => join(dir, 'data');
  let poller: StreamPoller | undefined;
  let failNext = 0;
  const seen: string[] = [];

  async function startPoller(): Promise<StreamPoller> {
    const files = await AuditFileSink.open(dataDir());
    // a sink that fails while `failNext` > 0, then writes to the files
    const flaky: AuditSink = {
      async write(entries) {
        if (failNext > 0) {
          failNext--;
          throw new Error('disk full');
        }
        await files.write(entries);
      },
    };
    const handler = makeAuditStreamHandler(flaky, quiet);
    return startStreamPoller({
      clientConfig: ddb.local.clientConfig,
      tableName,
      positionFile: join(dataDir(), 'position.json'),
      logger: quiet,
      handler: (event: DynamoDBStreamEvent) => {
        seen.push(...event.Records.map((r) => r.dynamodb?.SequenceNumber ?? '?'));
        return handler(event);
      },
    });
  }

  afterAll(async () => {
    await poller?.stop();
  });

  it('ships audit inserts and a user deletion of an audit event; credentials never reach the files', async () => {
    poller = await startPoller();
    const [first, second] = chain('req-poller-1', 2) as [AuditEvent, AuditEvent];
    await putAudit(first);
    await putAudit(second);
    const credentials = {
      ...keys.credentials('req-poller-1'),
      itemType: 'credentials',
      ciphertext: 'aesgcm1.SEALED-ASIAJITVENDLOCALAB12',
      expiration: new Date(Date.now() + 900_000).toISOString(),
      ttl: Math.ceil(Date.now() / 1000) + 900,
    };
    await ddb.documentClient.send(new PutCommand({ TableName: tableName, Item: credentials }));
    await ddb.documentClient.send(
      new DeleteCommand({ TableName: tableName, Key: keys.credentials('req-poller-1') }),
    );
    await ddb.documentClient.send(
      new DeleteCommand({ TableName: tableName, Key: keys.audit('req-poller-1', 2) }),
    );

    await waitUntil('the deletion record', async () =>
      (await lines(dataDir())).some((e) => e.kind === 'audit_event_deleted'),
    );
    const entries = await lines(dataDir());
    expect(entries.map((e) => e.kind)).toEqual(['audit_event', 'audit_event', 'audit_event_deleted']);
    expect(entries[0]).toMatchObject({ kind: 'audit_event', hashValid: true, event: first });
    expect(entries[2]).toMatchObject({
      kind: 'audit_event_deleted',
      requestId: 'req-poller-1',
      seq: 2,
      by: 'user',
      before: { type: 'decision_recorded', hash: second.hash },
    });
    expect(JSON.stringify(entries)).not.toMatch(/ciphertext|ASIAJITVENDLOCAL|SEALED/);
  });

  it('retries from the record the sink failed on, in order, and writes it once', async () => {
    const events = chain('req-poller-2', 3);
    failNext = 2;
    for (const event of events) await putAudit(event);
    await waitUntil(
      'the three events',
      async () =>
        (await lines(dataDir())).filter(
          (e) => e.kind === 'audit_event' && e.event.requestId === 'req-poller-2',
        ).length === 3,
    );
    const trail = (await lines(dataDir())).flatMap((e) =>
      e.kind === 'audit_event' && e.event.requestId === 'req-poller-2' ? [e.event.seq] : [],
    );
    expect(trail).toEqual([1, 2, 3]);
    expect(failNext).toBe(0);
  });

  it('goes on from its saved position after a restart: nothing lost, nothing handed over twice', async () => {
    await poller?.stop();
    poller = undefined;
    const handedOver = new Set(seen);
    seen.length = 0;
    const [first] = chain('req-poller-3', 1) as [AuditEvent];
    await putAudit(first); // written while no poller runs

    poller = await startPoller();
    await waitUntil('the event written while stopped', async () =>
      (await lines(dataDir())).some((e) => e.kind === 'audit_event' && e.event.requestId === 'req-poller-3'),
    );
    expect(seen.length).toBeGreaterThan(0);
    for (const sequenceNumber of seen) expect(handedOver.has(sequenceNumber)).toBe(false);
    const keysWritten = (await lines(dataDir())).map((e) => e.key);
    expect(new Set(keysWritten).size).toBe(keysWritten.length);
  });
});
