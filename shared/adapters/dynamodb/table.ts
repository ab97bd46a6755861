/**
 * The single-table design of jitvend, as data. The local stack (CreateTable), the integration
 * tests and the CDK construct all read this one definition. docs/storage.md explains it.
 *
 * Items (all in one table, keys `PK`/`SK`, every key attribute a string):
 *   request       PK=REQ#<id>                  SK=REQUEST
 *   audit event   PK=REQ#<id>                  SK=AUDIT#<seq, zero-padded>
 *   credentials   PK=REQ#<id>                  SK=CREDENTIALS         (`ttl` as a backstop only)
 *   idempotency   PK=IDEMPOTENCY#<sha256>      SK=IDEMPOTENCY         → requestId
 */
import { createHash } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const REQUESTS_TABLE = {
  /** used when no table name is configured (the local stack) */
  defaultTableName: 'jitvend-requests',
  partitionKey: 'PK',
  sortKey: 'SK',
  billingMode: 'PAY_PER_REQUEST',
  /** epoch seconds; only sealed credentials carry it, as a backstop (TTL deletes lag up to ~2 days) */
  ttlAttribute: 'ttl',
  /** the audit sink reads new AUDIT# items from the stream */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  /** every index projects ALL attributes, so a list is one Query with no follow-up reads */
  indexes: {
    /** a requester's own requests, newest first */
    byRequester: { indexName: 'byRequester', partitionKey: 'requester', sortKey: 'listKey' },
    /** requests in one status (e.g. every pending request for approvers), newest first */
    byStatus: { indexName: 'byStatus', partitionKey: 'status', sortKey: 'listKey' },
    /** every request, newest first (one constant partition, `listPartition`) */
    byTime: { indexName: 'byTime', partitionKey: 'listPartition', sortKey: 'listKey' },
  },
} as const satisfies {
  defaultTableName: string;
  partitionKey: string;
  sortKey: string;
  billingMode: 'PAY_PER_REQUEST';
  ttlAttribute: string;
  streamViewType: 'NEW_AND_OLD_IMAGES';
  indexes: Record<string, IndexDefinition>;
};

/** The value of `listPartition` on every request item (the `byTime` index's one partition). */
export const LIST_PARTITION = 'REQUESTS';

/** Values of the `itemType` attribute, so stream consumers can tell items apart without parsing keys. */
export type ItemType =
  | 'request'
  | 'audit'
  | 'credentials'
  | 'idempotency'
  | 'task_token'
  | 'approval_token'
  | 'run';

export const REQUEST_SK = 'REQUEST';
export const CREDENTIALS_SK = 'CREDENTIALS';
export const IDEMPOTENCY_SK = 'IDEMPOTENCY';
export const TASK_TOKEN_SK = 'TASK_TOKEN';
export const APPROVAL_TOKEN_SK = 'APPROVAL_TOKEN';
export const RUN_SK = 'RUN';
export const AUDIT_SK_PREFIX = 'AUDIT#';
/** digits of the zero-padded audit sequence, so SK order is seq order */
export const AUDIT_SEQ_DIGITS = 8;

export interface ItemKey {
  PK: string;
  SK: string;
}

/** Key builders: the only place that spells the key formats. */
export const keys = {
  requestPk: (id: string): string => `REQ#${id}`,
  request: (id: string): ItemKey => ({ PK: keys.requestPk(id), SK: REQUEST_SK }),
  audit: (id: string, seq: number): ItemKey => ({
    PK: keys.requestPk(id),
    SK: `${AUDIT_SK_PREFIX}${String(seq).padStart(AUDIT_SEQ_DIGITS, '0')}`,
  }),
  credentials: (id: string): ItemKey => ({ PK: keys.requestPk(id), SK: CREDENTIALS_SK }),
  /** the Step Functions task token of the request's AwaitApproval state (never in the request item) */
  taskToken: (id: string): ItemKey => ({ PK: keys.requestPk(id), SK: TASK_TOKEN_SK }),
  /** an email approval token, by the sha-256 of the token (the token itself is never stored) */
  approvalToken: (tokenHash: string): ItemKey => ({
    PK: `APPROVAL_TOKEN#${tokenHash}`,
    SK: APPROVAL_TOKEN_SK,
  }),
  /** a CI run's requests of one profile (approval reuse), by its key (shared/domain/reuse.ts runKey, a digest) */
  run: (runKey: string): ItemKey => ({ PK: `RUN#${runKey}`, SK: RUN_SK }),
  /** the key is hashed: it is caller-chosen text, and the requester id can be long */
  idempotency: (requester: string, idempotencyKey: string): ItemKey => ({
    PK: `IDEMPOTENCY#${createHash('sha256').update(`${requester}\n${idempotencyKey}`).digest('hex')}`,
    SK: IDEMPOTENCY_SK,
  }),
  /** sort key of the list indexes: ISO timestamps sort as text; the id breaks ties */
  listKey: (createdAt: string, id: string): string => `${createdAt}#${id}`,
};

/** The CreateTable input for the definition above (local stack and tests; the CDK construct maps the same data). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const indexes = Object.values(REQUESTS_TABLE.indexes);
  const attributeNames = new Set<string>([
    REQUESTS_TABLE.partitionKey,
    REQUESTS_TABLE.sortKey,
    ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ]);
  return {
    TableName: tableName,
    BillingMode: REQUESTS_TABLE.billingMode,
    AttributeDefinitions: [...attributeNames].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: REQUESTS_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: REQUESTS_TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: REQUESTS_TABLE.streamViewType },
  };
}

/**
 * Creates the table if it does not exist, waits until it is ACTIVE and makes sure TTL is on.
 * Idempotent. For the local stack and tests only: on AWS the CDK construct owns the table.
 * Few calls, as the local stack waits for them at start: CreateTable first (a table that
 * exists answers ResourceInUseException), no wait when it answers ACTIVE (DynamoDB Local
 * does), and a new table's TTL is turned on without reading it first. `created`: the table
 * is new (so it holds nothing yet).
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string = REQUESTS_TABLE.defaultTableName,
  options: { maxWaitSeconds?: number } = {},
): Promise<{ created: boolean }> {
  let created = false;
  let active = false;
  try {
    const out = await client.send(new CreateTableCommand(createTableInput(tableName)));
    created = true;
    active = out.TableDescription?.TableStatus === 'ACTIVE';
  } catch (error) {
    // it exists (or someone else is creating it right now)
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  if (!active) {
    await waitUntilTableExists(
      { client, maxWaitTime: options.maxWaitSeconds ?? 60, minDelay: 1, maxDelay: 2 },
      { TableName: tableName },
    );
  }
  let ttlStatus: string | undefined;
  if (!created) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    ttlStatus = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  }
  if (ttlStatus !== 'ENABLED' && ttlStatus !== 'ENABLING') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: REQUESTS_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  }
  return { created };
}
