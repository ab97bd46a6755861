/**
 * Usage, job 1 of 3: which CloudTrail records belong to a session. The records come through the
 * UsageSource port (CloudTrail LookupEvents, a trail's log files in S3, or local files), already
 * parsed from CloudTrail's documented record format; a session's are exactly those carrying its
 * source identity (`jitvend-<requestId>`), never role or session-name look-alikes, found in the
 * time window of the session. Pure: no AWS SDK imports.
 */
import type { AccessRequest } from '../types.ts';

/** `userIdentity` of a CloudTrail record (the fields jitvend reads; records carry more). */
export interface CloudTrailUserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: {
    sourceIdentity?: string;
    sessionIssuer?: {
      type?: string;
      principalId?: string;
      arn?: string;
      accountId?: string;
      userName?: string;
    };
    attributes?: { creationDate?: string; mfaAuthenticated?: string };
    webIdFederationData?: unknown;
  };
}

/** One CloudTrail record (`Records[]` of a log file, or `CloudTrailEvent` of LookupEvents, parsed). */
export interface CloudTrailEvent {
  eventVersion?: string;
  userIdentity?: CloudTrailUserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  requestID?: string;
  eventID?: string;
  readOnly?: boolean;
  resources?: { ARN?: string; accountId?: string; type?: string }[];
  eventType?: string;
  managementEvent?: boolean;
  recipientAccountId?: string;
  eventCategory?: string;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** Where to look for a session's records. */
export interface UsageWindow extends TimeWindow {
  /** where and when the session began: lets a source find the AssumeRole record itself */
  assumeRole?: TimeWindow & { roleArn: string };
}

/** What a UsageSource found: candidate records (the join happens here, in usageReport). */
export interface UsageEvents {
  events: CloudTrailEvent[];
  /** a page or object budget was reached: there may be more records than these */
  truncated: boolean;
  /** e.g. `cloudtrail:LookupEvents us-east-1`, `s3://bucket/prefix`, `local files` */
  source: string;
  /** what the source wants the reader to know (e.g. management events only) */
  notes?: string[];
}

/** Clock skew and STS latency before issue; CloudTrail delivery delay after expiry. */
export const USAGE_WINDOW_SLACK_MS = 5 * 60_000;

/**
 * The time window of an issued request's session: 5 minutes before issue to 5 minutes after
 * expiry (never later than now), and the AssumeRole record within 5 minutes of the issue time.
 */
export function usageWindow(
  request: Pick<AccessRequest, 'issuedAt' | 'expiresAt' | 'durationSeconds'>,
  roleArn: string | undefined,
  now: Date,
): UsageWindow {
  if (!request.issuedAt) throw new Error('usageWindow needs an issued request');
  const issuedAt = Date.parse(request.issuedAt);
  const expiresAt = request.expiresAt
    ? Date.parse(request.expiresAt)
    : issuedAt + request.durationSeconds * 1000;
  const from = new Date(issuedAt - USAGE_WINDOW_SLACK_MS);
  const to = new Date(Math.max(from.getTime(), Math.min(now.getTime(), expiresAt + USAGE_WINDOW_SLACK_MS)));
  const window: UsageWindow = { from, to };
  if (roleArn) {
    const assumeTo = new Date(Math.min(to.getTime(), issuedAt + USAGE_WINDOW_SLACK_MS));
    window.assumeRole = { roleArn, from, to: assumeTo };
  }
  return window;
}

/** A call made with the session: its identity carries exactly this source identity. */
export function isSessionCall(event: CloudTrailEvent, sourceIdentity: string): boolean {
  return event.userIdentity?.sessionContext?.sourceIdentity === sourceIdentity;
}

/** The STS AssumeRole call that started the session (made by the vending role, naming the source identity). */
export function isSessionAssumeRole(event: CloudTrailEvent, sourceIdentity: string): boolean {
  return (
    event.eventSource === 'sts.amazonaws.com' &&
    event.eventName === 'AssumeRole' &&
    event.requestParameters?.sourceIdentity === sourceIdentity &&
    !isSessionCall(event, sourceIdentity)
  );
}
