/**
 * Reads the real stream of DynamoDB Local and hands it, batch by batch, to the same audit
 * stream handler the Lambda runs (`makeAuditStreamHandler`), in the Lambda event shape.
 *
 * - ListStreams picks the table's newest stream; DescribeStream lists every shard; a child
 *   shard is read only once its parent is drained (shard lineage), so order holds per item.
 * - Every ~250 ms it reads each open shard (GetShardIterator / GetRecords), draining while
 *   there are records.
 * - Its position (per shard: the last sequence number handled, or "finished") is saved in
 *   `<dataDir>/audit-stream-position.json` after each handled batch: a restart neither loses
 *   nor skips records. A crash between a sink write and the save can deliver a record twice;
 *   the sink is idempotent on entry keys, so nothing is written twice.
 * - A partial batch failure (`batchItemFailures`) moves the position to just before the failed
 *   record, which is read again on the next poll, as Lambda does.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type Shard,
  type AttributeValue as StreamAttributeValue,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { type AuditStreamHandler, makeAuditStreamHandler } from '../functions/audit-stream/handler.ts';
import { FanoutAuditSink } from '../shared/adapters/audit-sink/fanout-audit-sink.ts';
import type { Logger } from '../shared/domain/ports.ts';
import { AuditFileSink, LoggedEventPublisher } from './audit-file-sink.ts';

export const POSITION_FILE_NAME = 'audit-stream-position.json';

export interface StreamPollerOptions {
  /** DynamoDB Local's client config (endpoint, region, credentials) */
  clientConfig: DynamoDBClientConfig;
  tableName: string;
  /** where the position is kept */
  positionFile: string;
  handler: AuditStreamHandler;
  logger: Logger;
  /** pause between polls when there is nothing to read (default 250 ms) */
  intervalMs?: number;
  /** records per GetRecords (default 100, like Lambda's default batch size) */
  batchSize?: number;
}

interface Position {
  streamArn?: string;
  /** per shard: the last sequence number handled, or finished (closed and drained) */
  shards: Record<string, { after?: string; finished?: true }>;
}

export interface StreamPoller {
  /** Polls every open shard once (draining them); resolves with the number of records handed over. */
  pollOnce(): Promise<number>;
  /** Stops polling after one last drain, saves the position, closes the client. */
  stop(): Promise<void>;
}

/** Reads the table's stream from where it was left and keeps polling until `stop()`. */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const { endpoint, region, credentials } = options.clientConfig;
  const client = new DynamoDBStreamsClient({ endpoint, region, credentials });
  const intervalMs = options.intervalMs ?? 250;
  const batchSize = options.batchSize ?? 100;
  const logger = options.logger;
  const position = await loadPosition(options.positionFile);
  const iterators = new Map<string, string>();
  let shards: Shard[] = [];
  let describedAt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  /** grows while polls fail (a sink that keeps failing is retried, not hammered) */
  let backoffMs = 0;
  const backOff = () => {
    backoffMs = Math.min(Math.max(backoffMs * 2, 500), 10_000);
  };

  const refreshShards = async (force: boolean) => {
    if (!force && position.streamArn && Date.now() - describedAt < 5_000) return;
    const streams = await client.send(new ListStreamsCommand({ TableName: options.tableName }));
    const newest = (streams.Streams ?? [])
      .filter((s) => s.StreamArn)
      .sort((a, b) => String(a.StreamLabel).localeCompare(String(b.StreamLabel)))
      .at(-1);
    if (!newest?.StreamArn) return;
    if (newest.StreamArn !== position.streamArn) {
      // a new table (or the first start): read the new stream from its beginning
      position.streamArn = newest.StreamArn;
      position.shards = {};
      iterators.clear();
    }
    const listed: Shard[] = [];
    for (let start: string | undefined, first = true; first || start; first = false) {
      const out = await client.send(
        new DescribeStreamCommand({
          StreamArn: position.streamArn,
          ...(start ? { ExclusiveStartShardId: start } : {}),
        }),
      );
      listed.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    }
    shards = listed;
    describedAt = Date.now();
  };

  /** Shards to read now: not finished, and whose parent (if still listed) is finished. */
  const readyShards = (): Shard[] => {
    const listed = new Set(shards.map((s) => s.ShardId));
    return shards.filter((shard) => {
      const id = shard.ShardId;
      if (!id || position.shards[id]?.finished) return false;
      const parent = shard.ParentShardId;
      return !parent || !listed.has(parent) || position.shards[parent]?.finished === true;
    });
  };

  const iteratorFor = async (streamArn: string, shardId: string): Promise<string | undefined> => {
    const cached = iterators.get(shardId);
    if (cached) return cached;
    const after = position.shards[shardId]?.after;
    const out = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  };

  /** Reads one shard until it has nothing more (or a batch fails); returns records handed over. */
  const drainShard = async (streamArn: string, shardId: string): Promise<number> => {
    let delivered = 0;
    for (;;) {
      const iterator = await iteratorFor(streamArn, shardId);
      if (!iterator) {
        position.shards[shardId] = { ...position.shards[shardId], finished: true };
        await savePosition(options.positionFile, position);
        return delivered;
      }
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      const records = out.Records ?? [];
      if (records.length > 0) {
        const response = await options.handler({
          Records: records.map((record) => toLambdaRecord(record, streamArn)),
        });
        const failed = response.batchItemFailures[0]?.itemIdentifier;
        const failedAt =
          failed === undefined ? -1 : records.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
        if (failed !== undefined) {
          // Lambda retries from the failed record: keep the position just before it
          const handledUpTo = failedAt > 0 ? records[failedAt - 1]?.dynamodb?.SequenceNumber : undefined;
          if (handledUpTo) position.shards[shardId] = { after: handledUpTo };
          iterators.delete(shardId);
          await savePosition(options.positionFile, position);
          backOff();
          logger.warn('audit stream: batch partly failed; retrying from the failed record', {
            shardId,
            sequenceNumber: failed,
          });
          return delivered + Math.max(failedAt, 0);
        }
        const last = records.at(-1)?.dynamodb?.SequenceNumber;
        if (last) position.shards[shardId] = { after: last };
        delivered += records.length;
      }
      if (out.NextShardIterator) iterators.set(shardId, out.NextShardIterator);
      else {
        iterators.delete(shardId);
        position.shards[shardId] = { ...position.shards[shardId], finished: true };
      }
      if (records.length > 0 || !out.NextShardIterator) await savePosition(options.positionFile, position);
      if (records.length === 0 || !out.NextShardIterator) return delivered;
    }
  };

  const cycle = async (): Promise<number> => {
    const backoffBefore = backoffMs;
    let delivered = 0;
    await refreshShards(false);
    const streamArn = position.streamArn;
    if (!streamArn) return 0;
    let finishedOne = true;
    // a drained parent makes its children ready in the same cycle
    while (finishedOne) {
      finishedOne = false;
      for (const shard of readyShards()) {
        const shardId = shard.ShardId as string;
        try {
          delivered += await drainShard(streamArn, shardId);
        } catch (error) {
          iterators.delete(shardId);
          const name = error instanceof Error ? error.name : '';
          if (name === 'TrimmedDataAccessException') {
            logger.warn(
              'audit stream: records were trimmed before they were read; reading on from the oldest',
              {
                shardId,
              },
            );
            position.shards[shardId] = {};
          } else if (name === 'ResourceNotFoundException') {
            position.streamArn = undefined;
            return delivered;
          } else if (name !== 'ExpiredIteratorException') {
            throw error;
          }
        }
        if (position.shards[shardId]?.finished) finishedOne = true;
      }
      if (finishedOne) await refreshShards(true);
    }
    if (backoffMs === backoffBefore) backoffMs = 0;
    return delivered;
  };

  const pollOnce = (): Promise<number> => {
    // one poll at a time: a caller joins the poll under way, then runs its own
    const previous = running ?? Promise.resolve(0);
    const next = previous.catch(() => 0).then(cycle);
    running = next;
    return next;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      pollOnce()
        .catch((error: unknown) => {
          backOff();
          logger.warn('audit stream poll failed', {
            error: error instanceof Error ? error.message : String(error),
          });
        })
        .finally(schedule);
    }, intervalMs + backoffMs);
  };
  schedule();

  return {
    pollOnce,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      // one last drain, so events written just before the stop are already in the sink
      await pollOnce().catch((error: unknown) =>
        logger.warn('audit stream: last poll failed', {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      await savePosition(options.positionFile, position).catch(() => {});
      client.destroy();
    },
  };
}

export interface LocalAuditStreamOptions {
  dataDir: string;
  clientConfig: DynamoDBClientConfig;
  tableName: string;
  logger: Logger;
  intervalMs?: number;
}

/** The local stack's audit trail: the file sink and the logged event bus, fed by the stream poller. */
export async function startLocalAuditStream(options: LocalAuditStreamOptions): Promise<StreamPoller> {
  const files = await AuditFileSink.open(options.dataDir);
  const handler = makeAuditStreamHandler(
    new FanoutAuditSink(files, new LoggedEventPublisher(options.logger)),
    options.logger,
  );
  return startStreamPoller({
    clientConfig: options.clientConfig,
    tableName: options.tableName,
    positionFile: join(options.dataDir, POSITION_FILE_NAME),
    handler,
    logger: options.logger,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
}

async function loadPosition(file: string): Promise<Position> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Position>;
    return { ...(parsed.streamArn ? { streamArn: parsed.streamArn } : {}), shards: parsed.shards ?? {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { shards: {} };
    throw new Error(`audit stream position ${file} is unreadable; delete it to re-read the stream`, {
      cause: error,
    });
  }
}

/** Written to a temporary file and renamed: a crash leaves the old position or the new one. */
async function savePosition(file: string, position: Position): Promise<void> {
  const temporary = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(position, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** The SDK's stream record in the shape Lambda delivers (epoch seconds, base64 binaries). */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  return {
    ...(record.eventID ? { eventID: record.eventID } : {}),
    ...(record.eventName ? { eventName: record.eventName } : {}),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'ddblocal',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
      ...(stream.Keys ? { Keys: lambdaImage(stream.Keys) } : {}),
      ...(stream.NewImage ? { NewImage: lambdaImage(stream.NewImage) } : {}),
      ...(stream.OldImage ? { OldImage: lambdaImage(stream.OldImage) } : {}),
      ...(stream.SequenceNumber ? { SequenceNumber: stream.SequenceNumber } : {}),
      ...(stream.SizeBytes === undefined ? {} : { SizeBytes: stream.SizeBytes }),
      ...(stream.StreamViewType ? { StreamViewType: stream.StreamViewType } : {}),
    },
    ...(record.userIdentity
      ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }
      : {}),
  };
}

function lambdaImage(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, lambdaValue(value)]));
}

function lambdaValue(value: StreamAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(lambdaValue) };
  if (value.M !== undefined) return { M: lambdaImage(value.M) };
  return value as AttributeValue;
}
