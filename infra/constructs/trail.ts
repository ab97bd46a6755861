/**
 * CloudTrail for jitvend: the record of every AssumeRole jitvend makes and of every call made
 * with the sessions it vends (linked by SourceIdentity `jitvend-<requestId>` and the session
 * name), which GET /requests/{id}/usage reads back.
 *
 * Either a trail of its own (multi-region, log file validation, KMS-encrypted log files, its
 * own bucket), or an existing trail, such as an organisation trail, named by its bucket.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** A trail that exists already (e.g. the organisation trail): where it delivers its log files. */
export interface ExistingTrail {
  bucket: s3.IBucket;
  /** the trail's S3 key prefix, if any */
  prefix?: string;
  /** the key that encrypts its log files, if it is a KMS key (the usage function may decrypt) */
  key?: kms.IKey;
  /** for an organisation trail: logs are under AWSLogs/<org id>/<account>/ */
  organizationId?: string;
}

export interface UsageTrailProps {
  accessLogs: s3.IBucket;
  /**
   * Also record data events (S3 object calls and Lambda invocations) of every bucket and
   * function, so usage shows them. CloudTrail charges per data event. @default false
   */
  dataEvents?: boolean;
  /** @default 365 days */
  retention?: Duration;
  /** @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
}

export class UsageTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: UsageTrailProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: 'jitvend CloudTrail log files',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudTrail encrypts the log files of this account's trails with it
    const { account, partition } = Stack.of(this);
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogFiles',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesKey',
        principals: [cloudTrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
      }),
    );
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'cloudtrail/',
      lifecycleRules: [
        {
          expiration: props.retention ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      removalPolicy,
    });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      bucket: this.bucket,
      encryptionKey: this.key,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
    });
    if (props.dataEvents) {
      this.trail.logAllS3DataEvents();
      this.trail.logAllLambdaDataEvents();
    }
  }
}
