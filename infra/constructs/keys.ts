/**
 * The customer-managed KMS keys of jitvend, one per purpose:
 * - `data`: jitvend's data at rest: the requests table (and its stream), the audit bucket,
 *   the log groups, the dead-letter queue and the secrets;
 * - `credentials`: seals issued STS credentials until their single delivery (KmsVault). Only
 *   the issue function may encrypt and only the deliver function may decrypt, each with the
 *   `jitvend:request` encryption context, so a sealed blob opens only for its own request.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface JitVendKeysProps {
  /** @default RemovalPolicy.RETAIN: deleting a key makes everything it encrypted unreadable */
  removalPolicy?: RemovalPolicy;
}

export class JitVendKeys extends Construct {
  readonly data: kms.Key;
  readonly credentials: kms.Key;

  constructor(scope: Construct, id: string, props: JitVendKeysProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.data = new kms.Key(this, 'DataKey', {
      description: 'jitvend data at rest: requests table and stream, audit bucket, logs, queues, secrets',
      enableKeyRotation: true,
      removalPolicy,
    });
    const { region, account, partition } = Stack.of(this);
    // CloudWatch Logs encrypts the log groups of this account and region with it
    this.data.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
    this.credentials = new kms.Key(this, 'CredentialsKey', {
      description: 'jitvend: seals issued STS credentials until their single delivery',
      enableKeyRotation: true,
      removalPolicy,
    });
  }
}
