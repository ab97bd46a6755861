/**
 * Finds a session's CloudTrail records in a trail's log files in S3: the only place, short of
 * CloudTrail Lake, where data events (DynamoDB item calls, S3 object calls, Lambda Invoke) can
 * be read back. A trail delivers gzipped JSON files (`{"Records": [...]}`) under
 *   `<prefix>AWSLogs/[<organization-id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`
 * named `<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique>.json.gz`, where the time is
 * when the file was written. This source lists the folders of the session's days, reads the
 * files written from the window's start to 30 minutes after its end (a file holds the records
 * of the minutes before it was written), and keeps the records that carry the session's
 * source identity, up to `maxObjects` files (then `truncated`).
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { UsageSource } from '../../domain/ports.ts';
import type { CloudTrailEvent, UsageEvents, UsageWindow } from '../../domain/usage/session-records.ts';
import { mayBelongTo, recordsOf, withinWindow } from './records.ts';

const gunzipAsync = promisify(gunzip);

/** How long after a call its record may still be written to a log file. */
export const LOG_FILE_DELAY_MS = 30 * 60_000;

export interface CloudTrailS3SourceOptions {
  bucket: string;
  /** the trail's S3 key prefix, with its trailing `/` (default none) */
  prefix?: string;
  /** for an organization trail: `o-...` */
  organizationId?: string;
  /** regions whose log folders to read */
  regions: string[];
  /** the account of the logs (default: the account of the session's role) */
  accountId?: string;
  client?: S3Client;
  /** log files read at most per report (default 300) */
  maxObjects?: number;
  /** files read at once (default 8) */
  concurrency?: number;
}

let defaultClient: S3Client | undefined;
function sharedClient(): S3Client {
  defaultClient ??= new S3Client({});
  return defaultClient;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy/mm/dd` of each UTC day the window touches. */
export function daysOf(from: Date, to: Date): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (day.getTime() <= to.getTime()) {
    days.push(`${day.getUTCFullYear()}/${pad(day.getUTCMonth() + 1)}/${pad(day.getUTCDate())}`);
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

/** The time in a log file's name (`..._20260301T1205Z_...json.gz`), or `undefined`. */
export function logFileTime(key: string): number | undefined {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*\.json\.gz$/.exec(key);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi);
}

export class CloudTrailS3Source implements UsageSource {
  private readonly client: S3Client;
  private readonly maxObjects: number;
  private readonly concurrency: number;

  constructor(private readonly options: CloudTrailS3SourceOptions) {
    this.client = options.client ?? sharedClient();
    this.maxObjects = options.maxObjects ?? 300;
    this.concurrency = options.concurrency ?? 8;
  }

  async eventsFor(sourceIdentity: string, window: UsageWindow): Promise<UsageEvents> {
    const account = this.options.accountId ?? accountOfRole(window.assumeRole?.roleArn);
    const base = `${this.options.prefix ?? ''}AWSLogs/${this.options.organizationId ? `${this.options.organizationId}/` : ''}${account}/CloudTrail/`;
    const lastFile = window.to.getTime() + LOG_FILE_DELAY_MS;
    const keys: string[] = [];
    let truncated = false;
    listing: for (const region of this.options.regions) {
      for (const day of daysOf(window.from, new Date(lastFile))) {
        for await (const key of this.list(`${base}${region}/${day}/`)) {
          const at = logFileTime(key);
          if (at === undefined || at < window.from.getTime() || at > lastFile) continue;
          if (keys.length >= this.maxObjects) {
            truncated = true;
            break listing;
          }
          keys.push(key);
        }
      }
    }
    const events: CloudTrailEvent[] = [];
    let skipped = 0;
    for (let i = 0; i < keys.length; i += this.concurrency) {
      const batch = await Promise.all(keys.slice(i, i + this.concurrency).map((key) => this.read(key)));
      for (const file of batch) {
        skipped += file.skipped;
        events.push(...file.records.filter((r) => mayBelongTo(r, sourceIdentity) && withinWindow(r, window)));
      }
    }
    return {
      events,
      truncated,
      source: `s3://${this.options.bucket}/${base}`,
      notes: skipped > 0 ? [`${skipped} entries of the log files were not CloudTrail records`] : [],
    };
  }

  private async *list(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key?.endsWith('.json.gz')) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async read(key: string): Promise<{ records: CloudTrailEvent[]; skipped: number }> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    if (!bytes) return { records: [], skipped: 0 };
    // S3 may hand the file back already decoded (Content-Encoding: gzip); gzip starts with 1f 8b
    const text = (
      bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipAsync(bytes) : Buffer.from(bytes)
    ).toString('utf8');
    try {
      return recordsOf(JSON.parse(text));
    } catch {
      return { records: [], skipped: 1 };
    }
  }
}

function accountOfRole(roleArn: string | undefined): string {
  const account = /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn ?? '')?.[1];
  if (!account) throw new Error('CloudTrailS3Source needs accountId or the role ARN of the session');
  return account;
}
