/**
 * CloudTrail's documented record format as it arrives from each source: a log file
 * (`{"Records": [...]}`, gzipped in S3), LookupEvents' `CloudTrailEvent` string, or hand-written
 * files of the local stack. Sources pre-filter with `mayBelongTo` to keep memory small; the
 * exact join stays in the domain (shared/domain/usage/report.ts).
 */
import {
  type CloudTrailEvent,
  isSessionAssumeRole,
  isSessionCall,
  type TimeWindow,
} from '../../domain/usage/session-records.ts';

function isRecord(value: unknown): value is CloudTrailEvent {
  if (!value || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.eventTime === 'string' &&
    typeof r.eventSource === 'string' &&
    typeof r.eventName === 'string' &&
    typeof r.awsRegion === 'string'
  );
}

/** The records of a parsed JSON document: `{Records: [...]}`, a list of records, or one record. */
export function recordsOf(document: unknown): { records: CloudTrailEvent[]; skipped: number } {
  const list = Array.isArray(document)
    ? document
    : document && typeof document === 'object' && Array.isArray((document as { Records?: unknown }).Records)
      ? (document as { Records: unknown[] }).Records
      : [document];
  const records = list.filter(isRecord);
  return { records, skipped: list.length - records.length };
}

/** One record from its JSON text (LookupEvents' `CloudTrailEvent`); `undefined` when it is not one. */
export function parseRecord(text: string | undefined): CloudTrailEvent | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A record made with the session, or the AssumeRole that started it. */
export function mayBelongTo(record: CloudTrailEvent, sourceIdentity: string): boolean {
  return isSessionCall(record, sourceIdentity) || isSessionAssumeRole(record, sourceIdentity);
}

export function withinWindow(record: CloudTrailEvent, window: TimeWindow): boolean {
  const at = Date.parse(record.eventTime);
  return !Number.isNaN(at) && at >= window.from.getTime() && at <= window.to.getTime();
}

/** What every LookupEvents answer must say: it cannot see data events. */
export const MANAGEMENT_EVENTS_ONLY_NOTE =
  'CloudTrail LookupEvents returns management events only: data events (e.g. DynamoDB GetItem/PutItem/Query, S3 GetObject/PutObject, Lambda Invoke) appear only from a trail that logs data events (set CLOUDTRAIL_BUCKET; see docs/usage-report.md)';
