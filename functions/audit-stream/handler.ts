/**
 * The audit stream: consumes the requests table's DynamoDB stream (NEW_AND_OLD_IMAGES) and
 * ships audit events to the audit sink (S3 + EventBridge on AWS; JSON-lines files locally,
 * through `local/stream-poller.ts`, which calls this same `makeAuditStreamHandler`).
 * Records are handled in order, one at a time; the first that fails is reported as a partial
 * batch failure and nothing after it is written, so Lambda retries from exactly there.
 * docs/audit.md describes what is shipped, the environment and the IAM actions.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readStreamRecord } from '../../shared/adapters/audit-sink/stream-records.ts';
import { redactingLogger } from '../../shared/adapters/logging/redact.ts';
import { type AuditSink, type AuditSinkEntry, auditSinkEntryOf } from '../../shared/domain/audit-records.ts';
import type { Logger } from '../../shared/domain/ports.ts';
import { auditStreamEnvironment, readEnvironment } from '../../shared/environment.ts';
import { lazily } from '../lazily.ts';

export type AuditStreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export function makeAuditStreamHandler(sink: AuditSink, logger: Logger): AuditStreamHandler {
  return async (event) => {
    let shipped = 0;
    const ignored: Record<string, number> = {};
    for (const record of event.Records) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      try {
        const reading = readStreamRecord(record);
        if ('ignored' in reading) {
          ignored[reading.ignored] = (ignored[reading.ignored] ?? 0) + 1;
          continue;
        }
        const entry = auditSinkEntryOf(reading.audit);
        if (entry.kind !== 'audit_event' || !entry.hashValid) reportAnomaly(logger, entry);
        await sink.write([entry]);
        shipped++;
      } catch (error) {
        // never the record itself: only where the batch stopped and why
        logger.error('audit stream: record not shipped; the batch stops here and is retried from it', {
          sequenceNumber,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
      }
    }
    if (shipped > 0 || Object.keys(ignored).length > 0)
      logger.info('audit stream batch', { records: event.Records.length, shipped, ignored });
    return { batchItemFailures: [] };
  };
}

/** Tampering with the audit trail is a security event: logged at error level, with keys and hashes only. */
function reportAnomaly(logger: Logger, entry: AuditSinkEntry): void {
  if (entry.kind === 'audit_event') {
    logger.error('AUDIT TAMPERING: audit event hash mismatch', {
      requestId: entry.event.requestId,
      seq: entry.event.seq,
      problem: entry.problem,
    });
    return;
  }
  const { kind, requestId, seq, at } = entry;
  const fields = {
    kind,
    requestId,
    seq,
    at,
    ...(entry.kind === 'audit_event_invalid' ? { problem: entry.problem } : { by: entry.by }),
  };
  logger.error(`AUDIT TAMPERING: ${kind.replaceAll('_', ' ')}`, fields);
}

/**
 * The AWS wiring, from the environment: S3 first (durable), then EventBridge. The SDK
 * clients are imported here, on the first batch, not when the module loads (cold start).
 */
export async function auditStreamHandlerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<AuditStreamHandler> {
  const settings = readEnvironment(auditStreamEnvironment, env, 'jitvend audit stream environment');
  const [{ S3AuditSink }, { EventBridgeAuditPublisher }, { FanoutAuditSink }] = await Promise.all([
    import('../../shared/adapters/audit-sink/s3-audit-sink.ts'),
    import('../../shared/adapters/audit-sink/eventbridge-publisher.ts'),
    import('../../shared/adapters/audit-sink/fanout-audit-sink.ts'),
  ]);
  const sinks: AuditSink[] = [
    new S3AuditSink({
      bucket: settings.AUDIT_BUCKET,
      ...(settings.AUDIT_KMS_KEY_ID ? { kmsKeyId: settings.AUDIT_KMS_KEY_ID } : {}),
    }),
  ];
  if (settings.EVENT_BUS_NAME)
    sinks.push(new EventBridgeAuditPublisher({ eventBusName: settings.EVENT_BUS_NAME }));
  const powertools = new PowertoolsLogger({ serviceName: 'jitvend-audit-stream' });
  const logger: Logger = redactingLogger({
    info: (message, fields) => powertools.info(message, fields ?? {}),
    warn: (message, fields) => powertools.warn(message, fields ?? {}),
    error: (message, fields) => powertools.error(message, fields ?? {}),
  });
  return makeAuditStreamHandler(new FanoutAuditSink(...sinks), logger);
}

const wired = lazily(() => auditStreamHandlerFromEnv());

/**
 * The Lambda entry point: wired from the environment once per container, on first use. A
 * wiring that failed is not kept: the next batch wires again.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return (await wired())(event);
}
