/**
 * Each role's deny list (shared/domain/revocation.ts), one item per role in the requests
 * table: `PK=DENYLIST#<roleArn>`, `SK=DENYLIST`. Each denied session is an attribute of its
 * own (`E#<sourceIdentity>` = `<until>|<shard>`) and each shard keeps its character count
 * (`C#<shard>`), so adding, extending or removing sessions is one UpdateItem whose condition
 * checks only what it touches (the session absent, its shard's count within room): writers
 * racing on one role do not make each other retry. Every write bumps `version` and returns
 * the whole item (ReturnValues ALL_NEW). A role with 1,000 live denies is about 70 KB, well
 * inside DynamoDB's 400 KB item limit. Reads are strongly consistent.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type DenyEntry, type DenyList, type DenyListStore, entryChars } from '../../domain/revocation.ts';
import { defaultDocumentClient } from './client.ts';

export const DENY_LIST_SK = 'DENYLIST';
const ENTRY = 'E#';
const COUNT = 'C#';
/** sessions removed per UpdateItem (DynamoDB's expressions are limited to 4 KB) */
const REMOVE_BATCH = 40;

export function denyListKey(roleArn: string): { PK: string; SK: string } {
  return { PK: `DENYLIST#${roleArn}`, SK: DENY_LIST_SK };
}

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
    return out.Item ? listOf(out.Item) : undefined;
  }

  add(roleArn: string, entry: DenyEntry, room: number): Promise<DenyList | undefined> {
    const size = entryChars(entry.sourceIdentity);
    return this.#update(roleArn, {
      UpdateExpression: 'SET #entry = :entry, #type = :type, #role = :role ADD #count :size, #version :one',
      ConditionExpression:
        'attribute_not_exists(#entry) AND (attribute_not_exists(#count) OR #count <= :room) AND ' +
        '(attribute_not_exists(#limit) OR #limit > :shard)',
      ExpressionAttributeNames: {
        '#entry': `${ENTRY}${entry.sourceIdentity}`,
        '#count': `${COUNT}${entry.shard}`,
        '#type': 'itemType',
        '#role': 'roleArn',
        '#version': 'version',
        '#limit': 'shardLimit',
      },
      ExpressionAttributeValues: {
        ':entry': `${entry.until}|${entry.shard}`,
        ':type': 'deny_list',
        ':role': roleArn,
        ':size': size,
        ':one': 1,
        ':room': room - size,
        ':shard': entry.shard,
      },
    });
  }

  extend(roleArn: string, entry: DenyEntry): Promise<DenyList | undefined> {
    return this.#update(roleArn, {
      UpdateExpression: 'SET #entry = :entry ADD #version :one',
      ConditionExpression: 'attribute_exists(#entry)',
      ExpressionAttributeNames: { '#entry': `${ENTRY}${entry.sourceIdentity}`, '#version': 'version' },
      ExpressionAttributeValues: { ':entry': `${entry.until}|${entry.shard}`, ':one': 1 },
    });
  }

  async remove(roleArn: string, entries: readonly DenyEntry[]): Promise<DenyList | undefined> {
    let list: DenyList | undefined;
    for (let at = 0; at < entries.length; at += REMOVE_BATCH) {
      const batch = entries.slice(at, at + REMOVE_BATCH);
      const names: Record<string, string> = { '#version': 'version' };
      const values: Record<string, number> = { ':one': 1 };
      const counts = new Map<number, number>();
      batch.forEach((e, i) => {
        names[`#e${i}`] = `${ENTRY}${e.sourceIdentity}`;
        counts.set(e.shard, (counts.get(e.shard) ?? 0) - entryChars(e.sourceIdentity));
      });
      const adds = [...counts].map(([shard, delta], i) => {
        names[`#c${i}`] = `${COUNT}${shard}`;
        values[`:c${i}`] = delta;
        return `#c${i} :c${i}`;
      });
      const next = await this.#update(roleArn, {
        UpdateExpression: `REMOVE ${batch.map((_, i) => `#e${i}`).join(', ')} ADD ${[...adds, '#version :one'].join(', ')}`,
        ConditionExpression: batch.map((_, i) => `attribute_exists(#e${i})`).join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
      if (!next) return list;
      list = next;
    }
    return list;
  }

  async limitShards(roleArn: string, shard: number): Promise<void> {
    await this.#update(roleArn, {
      UpdateExpression: 'SET #limit = :shard, #type = :type, #role = :role ADD #version :one',
      ConditionExpression: 'attribute_not_exists(#limit) OR #limit > :shard',
      ExpressionAttributeNames: {
        '#limit': 'shardLimit',
        '#type': 'itemType',
        '#role': 'roleArn',
        '#version': 'version',
      },
      ExpressionAttributeValues: { ':shard': shard, ':type': 'deny_list', ':role': roleArn, ':one': 1 },
    });
  }

  async #update(
    roleArn: string,
    input: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<DenyList | undefined> {
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: denyListKey(roleArn),
          ReturnValues: 'ALL_NEW',
          ...input,
        }),
      );
      return listOf(out.Attributes ?? {});
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }
}

function listOf(item: Record<string, unknown>): DenyList {
  const entries: DenyEntry[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(ENTRY)) continue;
    const [until, shard] = String(value).split('|');
    entries.push({ sourceIdentity: name.slice(ENTRY.length), until: until!, shard: Number(shard) });
  }
  entries.sort((a, b) => a.sourceIdentity.localeCompare(b.sourceIdentity));
  return {
    version: Number(item.version ?? 0),
    entries,
    ...(item.shardLimit !== undefined ? { shardLimit: Number(item.shardLimit) } : {}),
  };
}
