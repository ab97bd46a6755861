import { createHash } from 'node:crypto';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { type AuditSink, type AuditSinkEntry, entryDay } from '../../domain/audit-records.ts';

let defaultClient: S3Client | undefined;
function sharedClient(): S3Client {
  defaultClient ??= new S3Client({});
  return defaultClient;
}

export interface S3AuditSinkOptions {
  bucket: string;
  /** KMS key (id, alias or ARN) for SSE-KMS; without it the bucket's default encryption applies */
  kmsKeyId?: string;
  /** key prefix, default `audit/` */
  prefix?: string;
  /** defaults to the module-level client, built once per container */
  client?: S3Client;
}

/**
 * The audit sink on AWS: one S3 object per entry, the entry as one JSON line, at
 * `audit/yyyy=YYYY/mm=MM/dd=DD/<requestId>/<seq>.json` (tamper records:
 * `<seq>.deleted.<stream seq>.json`, `<seq>.modified.<stream seq>.json`, `<seq>.invalid.<stream seq>.json`).
 * The key is the entry's identity, so a redelivered entry lands on the same key; `IfNoneMatch: *`
 * makes every object write-once: a redelivery gets 412 (taken as already written) and nothing,
 * not even this function's own role, can overwrite a stored event.
 *
 * The bucket has Object Lock with a default retention, and S3 refuses such puts without an
 * integrity header: "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any
 * request to upload an object with a retention period configured using Amazon S3 Object Lock"
 * (Amazon S3 API Reference, PutObject; S3 User Guide, "Uploading objects to an Object Lock
 * enabled bucket"). Whether an SDK adds one by itself depends on its version, so every put
 * carries both, computed here: Content-MD5 and a SHA-256 checksum (x-amz-checksum-sha256).
 */
export class S3AuditSink implements AuditSink {
  readonly #bucket: string;
  readonly #kmsKeyId: string | undefined;
  readonly #prefix: string;
  readonly #client: S3Client;

  constructor(options: S3AuditSinkOptions) {
    this.#bucket = options.bucket;
    this.#kmsKeyId = options.kmsKeyId;
    this.#prefix = options.prefix ?? 'audit/';
    this.#client = options.client ?? sharedClient();
  }

  async write(entries: readonly AuditSinkEntry[]): Promise<void> {
    // in order: an entry is only attempted once the one before it is stored
    for (const entry of entries) {
      try {
        await this.#client.send(new PutObjectCommand(this.putObjectInput(entry)));
      } catch (error) {
        if (isAlreadyWritten(error)) continue;
        throw error;
      }
    }
  }

  /** The exact PutObject input for an entry. */
  putObjectInput(entry: AuditSinkEntry): PutObjectCommandInput {
    const body = `${JSON.stringify(entry)}\n`;
    return {
      Bucket: this.#bucket,
      Key: s3AuditKey(entry, this.#prefix),
      Body: body,
      ContentType: 'application/x-ndjson',
      ContentMD5: createHash('md5').update(body, 'utf8').digest('base64'),
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: createHash('sha256').update(body, 'utf8').digest('base64'),
      IfNoneMatch: '*',
      ...(this.#kmsKeyId
        ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.#kmsKeyId, BucketKeyEnabled: true }
        : {}),
    };
  }
}

/** `audit/yyyy=YYYY/mm=MM/dd=DD/<entry key>.json` (Hive-style partitions for Athena). */
export function s3AuditKey(entry: AuditSinkEntry, prefix = 'audit/'): string {
  const [yyyy, mm, dd] = entryDay(entry).split('-');
  return `${prefix}yyyy=${yyyy}/mm=${mm}/dd=${dd}/${entry.key}.json`;
}

/** 412 on a conditional write: an object with this key exists, i.e. this entry was stored before. */
function isAlreadyWritten(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'PreconditionFailed' || status === 412;
}
