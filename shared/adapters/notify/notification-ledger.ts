/**
 * Who has been told about a request, per channel: approvers are notified once per request,
 * person and channel, however often the AwaitApproval step runs (a Step Functions retry, a
 * local stack restart resuming the wait). A claim is taken before sending (a conditional put,
 * so of two racing attempts one sends) and given back if the send fails, so a later attempt
 * tries again.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { defaultDocumentClient } from '../dynamodb/client.ts';
import { keys } from '../dynamodb/table.ts';

export interface NotificationLedger {
  /** Records that `person` is notified on `channel` about the request; false when someone already did. */
  claim(requestId: string, channel: string, person: string): Promise<boolean>;
  /** Gives a claim back (its send failed), so a later attempt notifies that person again. */
  unclaim(requestId: string, channel: string, person: string): Promise<void>;
}

/** The sort key of a notification record, next to its request: `NOTIFIED#<channel>#<person>`. */
export function notifiedSortKey(channel: string, person: string): string {
  return `NOTIFIED#${channel}#${person}`;
}

/** How long a record is kept (TTL): longer than the longest approval wait (30 days). */
const KEEP_SECONDS = 40 * 24 * 3600;

/** The ledger in the requests table: one item per (request, channel, person), written once. */
export class DynamoDbNotificationLedger implements NotificationLedger {
  readonly #tableName: string;
  readonly #client: DynamoDBDocumentClient;
  readonly #now: () => Date;

  constructor(options: { tableName: string; client?: DynamoDBDocumentClient; now?: () => Date }) {
    this.#tableName = options.tableName;
    this.#client = options.client ?? defaultDocumentClient();
    this.#now = options.now ?? (() => new Date());
  }

  async claim(requestId: string, channel: string, person: string): Promise<boolean> {
    const now = this.#now();
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            PK: keys.requestPk(requestId),
            SK: notifiedSortKey(channel, person),
            itemType: 'notification',
            channel,
            person,
            at: now.toISOString(),
            ttl: Math.floor(now.getTime() / 1000) + KEEP_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async unclaim(requestId: string, channel: string, person: string): Promise<void> {
    await this.#client.send(
      new DeleteCommand({
        TableName: this.#tableName,
        Key: { PK: keys.requestPk(requestId), SK: notifiedSortKey(channel, person) },
      }),
    );
  }
}

/** An in-memory ledger (tests, and a process that keeps no store). */
export class MemoryNotificationLedger implements NotificationLedger {
  private readonly claimed = new Set<string>();
  async claim(requestId: string, channel: string, person: string): Promise<boolean> {
    const key = JSON.stringify([requestId, channel, person]);
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }
  async unclaim(requestId: string, channel: string, person: string): Promise<void> {
    this.claimed.delete(JSON.stringify([requestId, channel, person]));
  }
}
