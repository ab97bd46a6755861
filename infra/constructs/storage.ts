/**
 * The requests table: the single-table design of shared/adapters/dynamodb/table.ts
 * (REQUESTS_TABLE) mapped one to one, plus what only AWS has: point-in-time recovery,
 * deletion protection, a customer-managed key, and the stream the audit sink reads.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { REQUESTS_TABLE } from '../../shared/adapters/dynamodb/table.ts';

export interface RequestsTableProps {
  encryptionKey: kms.IKey;
  /** @default RemovalPolicy.RETAIN (the audit trail lives here) */
  removalPolicy?: RemovalPolicy;
  /** @default true */
  deletionProtection?: boolean;
}

const STREAM_VIEW: Record<typeof REQUESTS_TABLE.streamViewType, dynamodb.StreamViewType> = {
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
};

export class RequestsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RequestsTableProps) {
    super(scope, id);
    const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: string(REQUESTS_TABLE.partitionKey),
      sortKey: string(REQUESTS_TABLE.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: REQUESTS_TABLE.ttlAttribute,
      stream: STREAM_VIEW[REQUESTS_TABLE.streamViewType],
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(REQUESTS_TABLE.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
