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

/**
 * The resources whose data events (item and object calls) the trail records, so
 * GET /requests/{id}/usage shows what a test did with them, not only its AssumeRole.
 * CloudTrail logs DynamoDB item calls and S3 object calls only as data events, selected with
 * advanced event selectors (`eventCategory` Data, `resources.type`, `resources.ARN` StartsWith:
 * AWS CloudFormation User Guide, "AWS::CloudTrail::Trail AdvancedFieldSelector"), and charges
 * for every one delivered: $0.10 per 100,000 data events (AWS CloudTrail pricing), e.g.
 * $0.01 for a test run making 10,000 DynamoDB calls. docs/usage-report.md has the figures.
 */
export interface VendedDataEvents {
  /** DynamoDB table ARNs, or prefixes ending in `*` (`arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*`) */
  dynamodbTables?: readonly string[];
  /** S3 object ARNs or prefixes (`arn:aws:s3:::bucket/prefix*`); a bucket ARN means all its objects */
  s3Objects?: readonly string[];
}

/** The ARN prefix an ARN pattern stands for (up to its first wildcard). */
function prefixOf(pattern: string): string {
  const wildcard = pattern.search(/[*?]/);
  return wildcard === -1 ? pattern : pattern.slice(0, wildcard);
}

/** A table's ARN prefix, if the pattern names concrete tables of one account and region. */
function tablePrefix(pattern: string): string | undefined {
  const prefix = prefixOf(pattern.replace(/\/(index|stream|backup|export)\/.*$/, ''));
  return /^arn:[\w-]+:dynamodb:[a-z0-9-]+:\d{12}:table\/[\w.-]+/.test(prefix) ? prefix : undefined;
}

/** An S3 object ARN prefix, if the pattern names a concrete bucket (a bucket ARN means all its objects). */
function objectPrefix(pattern: string): string | undefined {
  const bucketOnly = /^arn:[\w-]+:s3:::[a-z0-9][a-z0-9.-]+$/.test(pattern);
  const prefix = prefixOf(bucketOnly ? `${pattern}/` : pattern);
  return /^arn:[\w-]+:s3:::[a-z0-9][a-z0-9.-]+\//.test(prefix) ? prefix : undefined;
}

/** Keeps the shortest prefixes (one covering another makes it redundant), sorted. */
function minimalPrefixes(prefixes: Iterable<string>): string[] {
  const sorted = [...new Set(prefixes)].sort();
  return sorted.filter((p, i) => !sorted.some((q, j) => j !== i && q !== p && p.startsWith(q)));
}

/**
 * The data-event resources of the profiles' guardrails, where they are concrete: DynamoDB
 * tables and S3 objects named by account, region and (a prefix of) their name. Wildcard
 * accounts, regions or bucket names are left out (they would log everyone's calls).
 */
export function dataEventsFromGuardrails(
  profiles: Readonly<Record<string, { allow: readonly { resources: readonly string[] }[] }>>,
): VendedDataEvents {
  const resources = Object.values(profiles).flatMap((p) => p.allow.flatMap((a) => a.resources));
  return {
    dynamodbTables: minimalPrefixes(resources.flatMap((r) => tablePrefix(r) ?? [])),
    s3Objects: minimalPrefixes(resources.flatMap((r) => objectPrefix(r) ?? [])),
  };
}

/**
 * Advanced event selectors for these resources (and all management events, which a trail
 * with advanced selectors must select too). Add them to an organization trail the same way.
 */
export function vendedDataEventSelectors(
  events: VendedDataEvents,
): cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] {
  const tables = minimalPrefixes((events.dynamodbTables ?? []).map((t) => tablePrefix(t) ?? prefixOf(t)));
  const objects = minimalPrefixes((events.s3Objects ?? []).map((o) => objectPrefix(o) ?? prefixOf(o)));
  const data = (name: string, type: string, prefixes: string[]) => ({
    name,
    fieldSelectors: [
      { field: 'eventCategory', equalTo: ['Data'] },
      { field: 'resources.type', equalTo: [type] },
      { field: 'resources.ARN', startsWith: prefixes },
    ],
  });
  return [
    { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
    ...(tables.length > 0 ? [data('Vended DynamoDB tables', 'AWS::DynamoDB::Table', tables)] : []),
    ...(objects.length > 0 ? [data('Vended S3 objects', 'AWS::S3::Object', objects)] : []),
  ];
}

export interface UsageTrailProps {
  accessLogs: s3.IBucket;
  /**
   * Also record data events (S3 object calls and Lambda invocations) of every bucket and
   * function, so usage shows them. CloudTrail charges per data event. @default false
   */
  dataEvents?: boolean;
  /**
   * Record the data events of exactly these resources (advanced event selectors), e.g.
   * dataEventsFromGuardrails(config.profiles). Takes the place of `dataEvents`.
   */
  vendedDataEvents?: VendedDataEvents;
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
    if (props.vendedDataEvents) {
      // advanced and basic event selectors exclude each other: management events move over too
      const cfn = this.trail.node.defaultChild as cloudtrail.CfnTrail;
      cfn.addPropertyDeletionOverride('EventSelectors');
      cfn.advancedEventSelectors = vendedDataEventSelectors(props.vendedDataEvents);
    } else if (props.dataEvents) {
      this.trail.logAllS3DataEvents();
      this.trail.logAllLambdaDataEvents();
    }
  }
}
