/**
 * From table changes to audit sink entries: which changes of the table's stream reach the
 * durable audit sink, and in what shape. No AWS here: the stream adapter
 * (`shared/adapters/audit-sink/stream-records.ts`) turns a DynamoDB stream record into an
 * `AuditItemChange` (only for audit items; the images of every other item are dropped there,
 * unread), and the sinks (S3 + EventBridge on AWS, JSON-lines files locally) store the entries.
 *
 * - INSERT of an audit event: shipped as it is, with its hash checked (`hashValid`).
 * - MODIFY of an audit event: events are written once and never updated, so this is
 *   tampering: shipped as `audit_event_modified` (key, hashes before and after).
 * - REMOVE of an audit event: shipped as `audit_event_deleted` (key, the removed event's type
 *   and hash, who: a user, or DynamoDB's TTL service).
 * docs/audit.md describes the entries and the sinks.
 */
import { hashAuditEvent } from './audit.ts';
import type { AuditEvent } from './types.ts';

/** The principal DynamoDB names on the stream record of a TTL deletion. */
export const TTL_PRINCIPAL_ID = 'dynamodb.amazonaws.com';

/** Digits of the zero-padded seq in entry keys, so keys sort in chain order. */
const SEQ_DIGITS = 8;

/** A change of one audit item, as read from the table's stream. */
export interface AuditItemChange {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** the stream record's sequence number (unique per change, the same on redelivery) */
  streamSequenceNumber: string;
  /** when the change was made (ISO), from the stream record */
  changedAt: string;
  /** the request id and seq named by the item's key */
  requestId: string;
  seq: number;
  /** the item after / before the change, storage attributes (keys, itemType) removed */
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  /** the stream record's `userIdentity`: present only on deletions made by a service (TTL) */
  userIdentity?: { type?: string; principalId?: string };
}

/** An audit event, shipped as written. */
export interface ShippedAuditEvent {
  kind: 'audit_event';
  /** `<requestId>/<seq, 8 digits>`: the same on redelivery, so sinks write it once */
  key: string;
  /** ISO time the sink partitions on (the event's `at`) */
  at: string;
  /** false when the stored hash does not match the event (tampered before it reached the stream) */
  hashValid: boolean;
  problem?: string;
  event: AuditEvent;
}

/** A stored audit event was deleted or changed: a security event in itself. Never carries the event. */
export interface AuditTamperRecord {
  kind: 'audit_event_deleted' | 'audit_event_modified';
  /** `<requestId>/<seq>.<deleted|modified>.<stream sequence number>` */
  key: string;
  /** ISO time of the change */
  at: string;
  requestId: string;
  seq: number;
  /** `ttl`: DynamoDB's TTL service removed it; `user`: any principal (see CloudTrail data events for who) */
  by: 'user' | 'ttl';
  principalId?: string;
  streamSequenceNumber: string;
  /** type and hash of the event before and after the change */
  before?: { type?: string; hash?: string };
  after?: { type?: string; hash?: string };
}

/** An audit item whose content is not an audit event of the key it is stored under. */
export interface InvalidAuditRecord {
  kind: 'audit_event_invalid';
  /** `<requestId>/<seq>.invalid.<stream sequence number>` */
  key: string;
  at: string;
  requestId: string;
  seq: number;
  streamSequenceNumber: string;
  problem: string;
}

export type AuditSinkEntry = ShippedAuditEvent | AuditTamperRecord | InvalidAuditRecord;

/**
 * The port every audit sink implements. `write` stores the entries durably or throws; it is
 * idempotent per `entry.key` (a redelivered entry is stored once).
 */
export interface AuditSink {
  write(entries: readonly AuditSinkEntry[]): Promise<void>;
}

/** Was this deletion made by DynamoDB's TTL service (rather than by a user or a role)? */
export function deletedByTtl(userIdentity: AuditItemChange['userIdentity']): boolean {
  return userIdentity?.type === 'Service' && userIdentity.principalId === TTL_PRINCIPAL_ID;
}

/** `<requestId>/<seq, 8 digits>`: the identity of an audit event in every sink. */
export function auditEntryKey(requestId: string, seq: number): string {
  return `${encodeURIComponent(requestId)}/${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** The UTC day (`yyyy-mm-dd`) an entry belongs to: sinks partition on it. */
export function entryDay(entry: AuditSinkEntry): string {
  return new Date(entry.at).toISOString().slice(0, 10);
}

/** The audit sink entry for a change of an audit item (every change of an audit item yields one). */
export function auditSinkEntryOf(change: AuditItemChange): AuditSinkEntry {
  const base = {
    requestId: change.requestId,
    seq: change.seq,
    streamSequenceNumber: change.streamSequenceNumber,
  };
  const keyOf = (what: string) =>
    `${auditEntryKey(change.requestId, change.seq)}.${what}.${change.streamSequenceNumber}`;

  if (change.eventName === 'REMOVE') {
    const ttl = deletedByTtl(change.userIdentity);
    return {
      kind: 'audit_event_deleted',
      key: keyOf('deleted'),
      at: change.changedAt,
      ...base,
      by: ttl ? 'ttl' : 'user',
      ...(ttl ? { principalId: TTL_PRINCIPAL_ID } : {}),
      before: fingerprint(change.oldImage),
    };
  }
  if (change.eventName === 'MODIFY') {
    return {
      kind: 'audit_event_modified',
      key: keyOf('modified'),
      at: change.changedAt,
      ...base,
      by: 'user',
      before: fingerprint(change.oldImage),
      after: fingerprint(change.newImage),
    };
  }

  const problem = auditEventProblem(change.newImage, change.requestId, change.seq);
  if (problem !== undefined) {
    return { kind: 'audit_event_invalid', key: keyOf('invalid'), at: change.changedAt, ...base, problem };
  }
  const event = change.newImage as unknown as AuditEvent;
  const { hash, ...body } = event;
  const hashValid = hashAuditEvent(body) === hash;
  return {
    kind: 'audit_event',
    key: auditEntryKey(event.requestId, event.seq),
    at: validIso(event.at) ?? change.changedAt,
    hashValid,
    ...(hashValid ? {} : { problem: `the hash of event ${event.seq} of ${event.requestId} does not match` }),
    event,
  };
}

/** Why an image is not an audit event stored under (requestId, seq), or undefined if it is one. */
function auditEventProblem(
  image: Record<string, unknown> | undefined,
  requestId: string,
  seq: number,
): string | undefined {
  if (image === undefined)
    return 'the stream record has no new image (the stream must be NEW_AND_OLD_IMAGES)';
  for (const field of ['requestId', 'type', 'actor', 'channel', 'at', 'prevHash', 'hash'] as const) {
    if (typeof image[field] !== 'string') return `field ${field} is missing or not a string`;
  }
  if (!Number.isInteger(image.seq)) return 'field seq is missing or not an integer';
  if (image.requestId !== requestId || image.seq !== seq)
    return 'the event names another request or seq than the key it is stored under';
  return undefined;
}

/** Type and hash of an image, the only parts of a deleted or changed event a tamper record carries. */
function fingerprint(image: Record<string, unknown> | undefined): { type?: string; hash?: string } {
  const out: { type?: string; hash?: string } = {};
  if (typeof image?.type === 'string') out.type = image.type;
  if (typeof image?.hash === 'string') out.hash = image.hash;
  return out;
}

function validIso(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
