/**
 * The bucket that receives the S3 server access logs of jitvend's buckets (the audit sink
 * and the CloudTrail bucket). S3-managed encryption: server access logging cannot deliver to
 * a bucket encrypted with a KMS key.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface AccessLogsBucketProps {
  /** @default 365 days */
  expiration?: Duration;
  /** @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
}

export class AccessLogsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: props.expiration ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledge(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'this bucket is the server access log destination of the audit and trail buckets; logging it into itself would loop',
      },
    ]);
  }
}
