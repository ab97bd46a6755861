/**
 * Each role's deny list (shared/domain/revocation.ts), one item per role in the requests
 * table: `PK=DENYLIST#<roleArn>`, `SK=DENYLIST`, written only with a condition on its version,
 * read strongly consistent. The entries are kept as one compact JSON string
 * (`[sourceIdentity, until, shard]` triples): a role with 1,000 live denies is about 70 KB,
 * well inside DynamoDB's 400 KB item limit.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DenyEntry, DenyList, DenyListStore } from '../../domain/revocation.ts';
import { defaultDocumentClient } from './client.ts';

export const DENY_LIST_SK = 'DENYLIST';

export function denyListKey(roleArn: string): { PK: string; SK: string } {
  return { PK: `DENYLIST#${roleArn}`, SK: DENY_LIST_SK };
}

type Triple = [string, string, number];

export class DynamoDbDenyListStore implements DenyListStore {
  readonly #tableName: string;
  readonly #client: DynamoDBDocumentClient;

  constructor(options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.#tableName = options.tableName;
    this.#client = options.client ?? defaultDocumentClient();
  }

  async get(roleArn: string): Promise<DenyList | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: denyListKey(roleArn), ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return undefined;
    const entries = (JSON.parse(String(item.entries ?? '[]')) as Triple[]).map(
      ([sourceIdentity, until, shard]): DenyEntry => ({ sourceIdentity, until, shard }),
    );
    return {
      version: Number(item.version),
      entries,
      ...(item.shardLimit !== undefined ? { shardLimit: Number(item.shardLimit) } : {}),
    };
  }

  async put(roleArn: string, next: DenyList, expectedVersion: number): Promise<boolean> {
    const triples: Triple[] = next.entries.map((e) => [e.sourceIdentity, e.until, e.shard]);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...denyListKey(roleArn),
            itemType: 'deny_list',
            roleArn,
            version: next.version,
            entries: JSON.stringify(triples),
            ...(next.shardLimit !== undefined ? { shardLimit: next.shardLimit } : {}),
          },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
