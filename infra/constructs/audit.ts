/**
 * The audit sink: an S3 bucket that keeps every audit event, versioned and under Object Lock
 * (governance mode, configurable retention), private, TLS-only and encrypted with the data
 * key; and the consumer of the requests table's stream that writes the events into it
 * (functions/audit-stream, when that handler exists), with a dead-letter queue for batches
 * it could not write.
 *
 * The stream carries every item of the table, sealed credentials included: the event source
 * filter passes only audit items (`SK` beginning `AUDIT#`), so credentials and tokens never
 * reach the consumer. Every event name passes: a MODIFY or REMOVE of an audit item is
 * tampering, which the consumer reports (docs/audit.md "For the CDK stack").
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT_SK_PREFIX } from '../../shared/adapters/dynamodb/table.ts';
import { acknowledge, wildcardResourceFinding } from '../nag.ts';
import type { JitVendFunction } from './functions.ts';

export interface AuditSinkProps {
  encryptionKey: kms.IKey;
  accessLogs: s3.IBucket;
  /** how long each audit object version is locked (governance mode) @default 365 days */
  retention?: Duration;
  /** @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
}

/** Only audit items leave the table (never credentials, tokens or request items). */
export const AUDIT_STREAM_FILTER = {
  dynamodb: { Keys: { SK: { S: [{ prefix: AUDIT_SK_PREFIX }] } } },
};

/** Where the consumer writes (docs/audit.md "S3 layout"). */
export const AUDIT_OBJECT_PREFIX = 'audit/';

export class AuditSink extends Construct {
  readonly bucket: s3.Bucket;
  private readonly encryptionKey: kms.IKey;
  /** where batches the consumer could not write end up (present once a consumer is attached) */
  deadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: AuditSinkProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(props.retention ?? Duration.days(365)),
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'audit/',
      lifecycleRules: [
        {
          id: 'OldPartitionsToGlacier',
          prefix: AUDIT_OBJECT_PREFIX,
          transitions: [
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
          ],
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Feeds the table's stream (audit items only) to `consumer` (functions/audit-stream), which
   * may put new objects under audit/ and, with `eventBus`, publish the events there.
   */
  attachConsumer(consumer: JitVendFunction, table: dynamodb.ITable, eventBus?: events.IEventBus): void {
    // it holds only where a failed batch sits in the stream (shard, sequence numbers), never
    // the records: SQS-managed encryption, so the consumer needs no key grant to send there
    const dlq = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(dlq, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'this queue is the on-failure destination of the audit stream consumer: a dead-letter queue itself',
      },
    ]);
    this.deadLetterQueue = dlq;
    consumer.function.addEventSource(
      new sources.DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // the handler reports the first record it could not ship; retries resume from there in order
        reportBatchItemFailures: true,
        bisectBatchOnError: false,
        parallelizationFactor: 1,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        onFailure: new sources.SqsDlq(dlq),
        filters: [lambda.FilterCriteria.filter(AUDIT_STREAM_FILTER)],
      }),
    );
    // new objects only: no delete, no retention or legal hold changes, no reads
    const objects = this.bucket.arnForObjects(`${AUDIT_OBJECT_PREFIX}*`);
    consumer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteAuditObjects', actions: ['s3:PutObject'], resources: [objects] }),
    );
    consumer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AuditBucketKey',
        actions: ['kms:GenerateDataKey'],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    acknowledge(consumer.role, [
      {
        id: wildcardResourceFinding(this, objects),
        reason:
          'the consumer writes one new object per audit entry under audit/yyyy=/mm=/dd=/<requestId>/ (docs/audit.md) in the audit bucket only',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams (added by the DynamoDB event source) and xray:PutTraceSegments support no resource-level permissions',
      },
    ]);
    consumer.addEnvironment('AUDIT_BUCKET', this.bucket.bucketName);
    consumer.addEnvironment('AUDIT_KMS_KEY_ID', this.encryptionKey.keyArn);
    if (eventBus) {
      consumer.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'PublishAuditEvents',
          actions: ['events:PutEvents'],
          resources: [eventBus.eventBusArn],
        }),
      );
      consumer.addEnvironment('EVENT_BUS_NAME', eventBus.eventBusArn);
    }
  }
}
