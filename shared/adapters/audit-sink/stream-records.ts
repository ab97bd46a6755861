/**
 * Reads one DynamoDB stream record (Lambda's `DynamoDBRecord` shape) of the requests table.
 * Only audit items (SK begins with `AUDIT#`) become an `AuditItemChange`; every other item
 * (requests, sealed credentials, task tokens, approval tokens, idempotency keys) is named and
 * dropped from its key alone: its images are never unmarshalled, so a ciphertext or a token
 * cannot reach the sink or a log through this code.
 */
import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { type AuditItemChange, deletedByTtl } from '../../domain/audit-records.ts';
import {
  APPROVAL_TOKEN_SK,
  AUDIT_SK_PREFIX,
  CREDENTIALS_SK,
  IDEMPOTENCY_SK,
  keys,
  REQUEST_SK,
  REQUESTS_TABLE,
  TASK_TOKEN_SK,
} from '../dynamodb/table.ts';

/** attributes that exist only for storage (as in the request store) */
const STORAGE_ATTRIBUTES = ['PK', 'SK', 'itemType', 'listPartition', 'listKey'] as const;
const REQUEST_PK_PREFIX = keys.requestPk('');
const OTHER_ITEMS: Record<string, string> = {
  [REQUEST_SK]: 'request',
  [CREDENTIALS_SK]: 'credentials',
  [TASK_TOKEN_SK]: 'task_token',
  [APPROVAL_TOKEN_SK]: 'approval_token',
  [IDEMPOTENCY_SK]: 'idempotency',
};

export type StreamRecordReading =
  | { audit: AuditItemChange }
  /** not shipped: e.g. `MODIFY request`, `REMOVE credentials (ttl)` (for counting, never contents) */
  | { ignored: string };

/** Classifies a stream record by its key and, for audit items only, reads the change. */
export function readStreamRecord(record: DynamoDBRecord): StreamRecordReading {
  const eventName = record.eventName;
  const stream = record.dynamodb;
  const pk = stream?.Keys?.[REQUESTS_TABLE.partitionKey]?.S;
  const sk = stream?.Keys?.[REQUESTS_TABLE.sortKey]?.S;
  if (eventName === undefined || stream === undefined || pk === undefined || sk === undefined)
    throw new Error('not a DynamoDB stream record of the requests table (no eventName or PK/SK keys)');
  const ttl = eventName === 'REMOVE' && deletedByTtl(record.userIdentity);

  if (!sk.startsWith(AUDIT_SK_PREFIX)) {
    return { ignored: `${eventName} ${OTHER_ITEMS[sk] ?? 'other'}${ttl ? ' (ttl)' : ''}` };
  }
  const seqText = sk.slice(AUDIT_SK_PREFIX.length);
  const seq = Number(seqText);
  if (!pk.startsWith(REQUEST_PK_PREFIX) || !/^\d+$/.test(seqText) || !Number.isSafeInteger(seq))
    throw new Error(`audit item with a malformed key (SK ${JSON.stringify(sk).slice(0, 40)})`);
  if (stream.SequenceNumber === undefined) throw new Error('stream record without a SequenceNumber');

  const change: AuditItemChange = {
    eventName,
    streamSequenceNumber: stream.SequenceNumber,
    changedAt: changedAt(stream.ApproximateCreationDateTime),
    requestId: pk.slice(REQUEST_PK_PREFIX.length),
    seq,
  };
  if (stream.NewImage) change.newImage = domainImage(stream.NewImage);
  if (stream.OldImage) change.oldImage = domainImage(stream.OldImage);
  if (record.userIdentity) change.userIdentity = identity(record.userIdentity);
  return { audit: change };
}

function domainImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  // Lambda's JSON shape and the SDK's differ only in binary values (base64 text vs bytes); audit items have none
  const item = unmarshall(image as unknown as Record<string, SdkAttributeValue>, { wrapNumbers: false });
  for (const name of STORAGE_ATTRIBUTES) delete item[name];
  return item;
}

/** Lambda gives epoch seconds; a missing value falls back to now. */
function changedAt(epochSeconds: number | undefined): string {
  return new Date(epochSeconds === undefined ? Date.now() : epochSeconds * 1000).toISOString();
}

function identity(value: unknown): { type?: string; principalId?: string } {
  const raw = value as { type?: unknown; principalId?: unknown };
  const out: { type?: string; principalId?: string } = {};
  if (typeof raw.type === 'string') out.type = raw.type;
  if (typeof raw.principalId === 'string') out.principalId = raw.principalId;
  return out;
}
