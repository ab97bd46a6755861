import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { principalKey } from '../../domain/access.ts';
import { ConcurrentUpdateError, ValidationError } from '../../domain/errors.ts';
import { orderedPolicy } from '../../domain/policy/builder.ts';
import type {
  ApprovalTokenRecord,
  ApprovalTokenStore,
  CommitOptions,
  CreateOptions,
  ListQuery,
  Page,
  RequestRepository,
  SealedCredentials,
  TaskTokenStore,
} from '../../domain/ports.ts';
import type { AccessRequest, AuditEvent } from '../../domain/types.ts';
import { defaultDocumentClient } from './client.ts';
import {
  AUDIT_SK_PREFIX,
  CREDENTIALS_SK,
  type IndexDefinition,
  type ItemKey,
  type ItemType,
  keys,
  LIST_PARTITION,
  REQUEST_SK,
  REQUESTS_TABLE,
} from './table.ts';

export interface DynamoDbRequestStoreOptions {
  tableName: string;
  /** defaults to the module-level client (see client.ts) */
  client?: DynamoDBDocumentClient;
  /** most Query pages one `list` call reads when a status filter drops items (default 5) */
  maxListPages?: number;
  /** items evaluated per Query page when a status filter applies (default 100; DynamoDB filters after Limit) */
  filteredPageSize?: number;
}

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** attributes that exist only for storage, removed when an item is read back into the domain */
const STORAGE_ATTRIBUTES = ['PK', 'SK', 'itemType', 'listPartition', 'listKey'] as const;
/** retries of a create whose transaction collided with another one on the same idempotency key */
const CREATE_CONFLICT_RETRIES = 3;
/** a run's list of requests is kept this long (the longest window is 12 hours, plus approval time) */
const RUN_RETENTION_SECONDS = 2 * 24 * 3600;
/** BatchGetItem reads at most 100 keys per call */
const BATCH_GET_KEYS = 100;

/**
 * The domain's three stores (requests and their audit, task tokens, approval tokens) on one
 * DynamoDB table (design in table.ts and docs/storage.md).
 * Calls per operation: create 1 (2 on an idempotent replay), get 1, commit 1, getWithCredentials 1,
 * listAudit 1 per 1 MB of events, list 1 per page (status filters on a requester's list may read
 * up to `maxListPages`).
 *
 * `getCredentials` and `getTaskToken` belong to no port: no use case reads them alone. They
 * let tests and operators inspect what the table holds.
 */
export class DynamoDbRequestStore implements RequestRepository, TaskTokenStore, ApprovalTokenStore {
  readonly #tableName: string;
  readonly #client: DynamoDBDocumentClient;
  readonly #maxListPages: number;
  readonly #filteredPageSize: number;

  constructor(options: DynamoDbRequestStoreOptions) {
    this.#tableName = options.tableName;
    this.#client = options.client ?? defaultDocumentClient();
    this.#maxListPages = options.maxListPages ?? 5;
    this.#filteredPageSize = options.filteredPageSize ?? 100;
  }

  async create(
    request: AccessRequest,
    event: AuditEvent | readonly AuditEvent[],
    options: CreateOptions = {},
  ): Promise<{ request: AccessRequest; created: boolean; fingerprint?: string }> {
    const events: readonly AuditEvent[] = Array.isArray(event) ? event : [event as AuditEvent];
    if (events.length === 0) throw new Error(`request ${request.id} created without an audit event`);
    for (const each of events) assertEventOf(request.id, each);
    const transactItems: TransactItem[] = [
      this.#putNew(requestItem(request)),
      ...events.map((each) => this.#putNew(auditItem(each))),
    ];
    let idempotencyKey: ItemKey | undefined;
    if (options.idempotencyKey !== undefined) {
      if (request.requesterIssuer === undefined) {
        throw new Error(`request ${request.id} has no requesterIssuer: its idempotency key has no owner`);
      }
      // scoped to the principal (issuer AND subject): the same key from another issuer is another request
      idempotencyKey = keys.idempotency(
        principalKey({ issuer: request.requesterIssuer, subject: request.requester }),
        options.idempotencyKey,
      );
    }
    if (idempotencyKey) {
      transactItems.push({
        Put: {
          TableName: this.#tableName,
          Item: {
            ...idempotencyKey,
            itemType: 'idempotency' satisfies ItemType,
            requestId: request.id,
            createdAt: request.createdAt,
            ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const reusesAt = options.reuses !== undefined ? transactItems.length : -1;
    if (options.reuses !== undefined) {
      // approved by reuse only while the request it reuses is still issued, in the same window
      transactItems.push({
        ConditionCheck: {
          TableName: this.#tableName,
          Key: keys.request(options.reuses.id),
          ConditionExpression: '#status = :issued AND #windowEndsAt = :windowEndsAt',
          ExpressionAttributeNames: { '#status': 'status', '#windowEndsAt': 'windowEndsAt' },
          ExpressionAttributeValues: { ':issued': 'issued', ':windowEndsAt': options.reuses.windowEndsAt },
        },
      });
    }
    const input: TransactWriteCommandInput = {
      TransactItems: transactItems,
      ClientRequestToken: randomUUID(),
    };
    if (options.run !== undefined) {
      // The run's list of requests, in order, written BEFORE the request and outside its
      // transaction: the jobs of a matrix join their run at once, and one item written by many
      // transactions at once fails them with TransactionConflict, while plain updates queue.
      // Written first, no request of the run is ever missing from the list (a create that then
      // fails leaves an id listRun skips).
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.run(options.run),
          UpdateExpression:
            'SET #ids = list_append(if_not_exists(#ids, :none), :id), #type = :type, #ttl = :ttl',
          ExpressionAttributeNames: {
            '#ids': 'requestIds',
            '#type': 'itemType',
            '#ttl': REQUESTS_TABLE.ttlAttribute,
          },
          ExpressionAttributeValues: {
            ':none': [],
            ':id': [request.id],
            ':type': 'run' satisfies ItemType,
            ':ttl': Math.floor(Date.parse(request.createdAt) / 1000) + RUN_RETENTION_SECONDS,
          },
        }),
      );
    }

    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.send(new TransactWriteCommand(input));
        return { request, created: true };
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        const idempotency = idempotencyKey ? reasons[1 + events.length] : undefined;
        if (idempotencyKey && idempotency?.Code === 'ConditionalCheckFailed') {
          const replay = await this.#readIdempotentReplay(idempotencyKey, idempotency.Item);
          return {
            request: replay.request,
            created: false,
            ...(replay.fingerprint !== undefined ? { fingerprint: replay.fingerprint } : {}),
          };
        }
        const conflicted = reasons.some((reason) => reason.Code === 'TransactionConflict');
        if (conflicted && attempt < CREATE_CONFLICT_RETRIES) {
          // another create with the same idempotency key is in flight: once it lands, ours fails its condition
          await delay(25 * 2 ** attempt);
          input.ClientRequestToken = randomUUID();
          continue;
        }
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          throw new ConcurrentUpdateError(`request ${request.id} already exists`, { cause: error });
        }
        if (options.reuses !== undefined && reasons[reusesAt]?.Code === 'ConditionalCheckFailed') {
          throw new ConcurrentUpdateError(
            `request ${options.reuses.id} is no longer issued in the same window: it approves ${request.id} no more`,
            { cause: error },
          );
        }
        if (conflicted || reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) {
          throw new ConcurrentUpdateError(
            `request ${request.id} could not be created: a concurrent write got in the way`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    }
  }

  async get(id: string): Promise<AccessRequest | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.request(id), ConsistentRead: true }),
    );
    return out.Item ? fromRequestItem(out.Item) : undefined;
  }

  /** The run's list (one GetItem), then its requests (BatchGetItem, 100 at a time), oldest first. */
  async listRun(run: string): Promise<AccessRequest[]> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.run(run), ConsistentRead: true }),
    );
    const ids = (out.Item?.requestIds as string[] | undefined) ?? [];
    const found = new Map<string, AccessRequest>();
    for (let from = 0; from < ids.length; from += BATCH_GET_KEYS) {
      let pending: Item[] | undefined = ids
        .slice(from, from + BATCH_GET_KEYS)
        .map((id) => ({ ...keys.request(id) }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await delay(Math.min(25 * 2 ** attempt, 1000));
        const batch = await this.#client.send(
          new BatchGetCommand({
            RequestItems: { [this.#tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of batch.Responses?.[this.#tableName] ?? []) {
          const request = fromRequestItem(item);
          found.set(request.id, request);
        }
        pending = batch.UnprocessedKeys?.[this.#tableName]?.Keys as Item[] | undefined;
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  /**
   * The request and its sealed credentials in ONE Query: their sort keys `CREDENTIALS` and
   * `REQUEST` are adjacent in the request's partition (audit events sort before, the task
   * token after), so a BETWEEN on the sort key reads exactly these two items.
   */
  async getWithCredentials(
    id: string,
  ): Promise<{ request: AccessRequest | undefined; credentials: SealedCredentials | undefined }> {
    const out = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': keys.requestPk(id), ':from': CREDENTIALS_SK, ':to': REQUEST_SK },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const requestItem = items.find((item) => item.SK === REQUEST_SK);
    const credentialsItem = items.find((item) => item.SK === CREDENTIALS_SK);
    return {
      request: requestItem ? fromRequestItem(requestItem) : undefined,
      credentials: credentialsItem
        ? { ciphertext: String(credentialsItem.ciphertext), expiration: String(credentialsItem.expiration) }
        : undefined,
    };
  }

  async commit(
    prev: AccessRequest,
    next: AccessRequest,
    event: AuditEvent,
    options: CommitOptions = {},
  ): Promise<void> {
    if (next.id !== prev.id) throw new Error(`commit: next request ${next.id} is not request ${prev.id}`);
    assertEventOf(prev.id, event);
    if (options.putCredentials && options.deleteCredentials) {
      throw new Error('commit: putCredentials and deleteCredentials cannot be combined in one transition');
    }
    const transactItems: TransactItem[] = [
      {
        Put: {
          TableName: this.#tableName,
          Item: requestItem(next),
          ConditionExpression: '#version = :version AND #status = :status',
          ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
          ExpressionAttributeValues: { ':version': prev.version, ':status': prev.status },
        },
      },
      this.#putNew(auditItem(event)),
    ];
    if (options.putCredentials) {
      transactItems.push({
        Put: { TableName: this.#tableName, Item: credentialsItem(prev.id, options.putCredentials) },
      });
    }
    if (options.deleteCredentials) {
      transactItems.push({
        Delete: {
          TableName: this.#tableName,
          Key: keys.credentials(prev.id),
          ...(options.deleteCredentials === 'required'
            ? { ConditionExpression: 'attribute_exists(PK)' }
            : {}),
        },
      });
    }
    try {
      await this.#client.send(
        // the token makes the SDK's own retries of this call idempotent; a new call gets a new token
        new TransactWriteCommand({ TransactItems: transactItems, ClientRequestToken: randomUUID() }),
      );
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      const lost = (code: string | undefined) =>
        code === 'ConditionalCheckFailed' || code === 'TransactionConflict';
      if (!reasons.some((reason) => lost(reason.Code))) throw error;
      const requestLost = lost(reasons[0]?.Code) || lost(reasons[1]?.Code);
      if (!requestLost && options.deleteCredentials === 'required') {
        throw new ConcurrentUpdateError(`the credentials of request ${prev.id} are no longer stored`, {
          cause: error,
        });
      }
      throw new ConcurrentUpdateError(`request ${prev.id} was changed by someone else; read it again`, {
        cause: error,
      });
    }
  }

  async list(query: ListQuery): Promise<Page<AccessRequest>> {
    const limit = query.limit;
    if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer');
    const plan = listPlan(query);
    const binding = cursorBinding(query.caller);
    let exclusiveStartKey =
      query.cursor === undefined ? undefined : decodeCursor(query.cursor, plan, binding);
    const collected: Item[] = [];

    for (let page = 1; ; page++) {
      const room = limit - collected.length;
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: plan.index.indexName,
          KeyConditionExpression: '#pk = :pk',
          ...plan.filter,
          ExpressionAttributeNames: {
            '#pk': plan.index.partitionKey,
            ...plan.filter?.ExpressionAttributeNames,
          },
          ExpressionAttributeValues: {
            ':pk': plan.partitionValue,
            ...plan.filter?.ExpressionAttributeValues,
          },
          ScanIndexForward: false,
          Limit: plan.filter ? Math.max(room, this.#filteredPageSize) : room,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      const items = out.Items ?? [];
      if (items.length > room) {
        // a filtered page matched more than we need: stop after the last item returned
        collected.push(...items.slice(0, room));
        return page_(
          collected,
          encodeCursor(plan.index, indexKeyOf(plan.index, collected[collected.length - 1]!), binding),
        );
      }
      collected.push(...items);
      exclusiveStartKey = out.LastEvaluatedKey;
      if (!exclusiveStartKey) return page_(collected);
      if (collected.length === limit || page >= this.#maxListPages) {
        return page_(collected, encodeCursor(plan.index, exclusiveStartKey, binding));
      }
    }
  }

  async listAudit(id: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.requestPk(id), ':prefix': AUDIT_SK_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      events.push(...(out.Items ?? []).map(fromAuditItem));
      exclusiveStartKey = out.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return events;
  }

  /** Inspection (no port): the sealed credentials stored for a request, if any. */
  async getCredentials(id: string): Promise<SealedCredentials | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.credentials(id),
        ConsistentRead: true,
        ProjectionExpression: '#ciphertext, #expiration',
        ExpressionAttributeNames: { '#ciphertext': 'ciphertext', '#expiration': 'expiration' },
      }),
    );
    if (!out.Item) return undefined;
    return { ciphertext: String(out.Item.ciphertext), expiration: String(out.Item.expiration) };
  }

  async saveTaskToken(id: string, taskToken: string, expiresAt: string): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.taskToken(id), itemType: 'task_token', taskToken, expiresAt, ttl: ttlOf(expiresAt) },
      }),
    );
  }

  /** Inspection (no port): the task token stored for a request, without taking it. */
  async getTaskToken(id: string): Promise<string | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.taskToken(id), ConsistentRead: true }),
    );
    return out.Item ? String(out.Item.taskToken) : undefined;
  }

  async takeTaskToken(id: string): Promise<string | undefined> {
    try {
      // conditional: of concurrent takers exactly one deletes the item and gets the token
      const out = await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keys.taskToken(id),
          ConditionExpression: 'attribute_exists(PK)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? String(out.Attributes.taskToken) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async saveApprovalToken(record: ApprovalTokenRecord): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...keys.approvalToken(record.tokenHash),
          itemType: 'approval_token',
          ...record,
          ttl: ttlOf(record.expiresAt),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async getApprovalToken(tokenHash: string): Promise<ApprovalTokenRecord | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: keys.approvalToken(tokenHash),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const item = out.Item;
    return {
      tokenHash: String(item.tokenHash),
      requestId: String(item.requestId),
      person: String(item.person),
      expiresAt: String(item.expiresAt),
      ...(item.usedAt !== undefined ? { usedAt: String(item.usedAt) } : {}),
    };
  }

  async useApprovalToken(tokenHash: string, usedAt: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.approvalToken(tokenHash),
          UpdateExpression: 'SET usedAt = :usedAt',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':usedAt': usedAt },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  #putNew(item: Item): TransactItem {
    return {
      Put: { TableName: this.#tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' },
    };
  }

  /** The request an idempotency key already points to (the mapping and the request were written together). */
  async #readIdempotentReplay(
    idempotencyKey: { PK: string; SK: string },
    oldItem: Record<string, unknown> | undefined,
  ): Promise<{ request: AccessRequest; fingerprint: string | undefined }> {
    let item = oldItem;
    if (attributeString(item?.requestId) === undefined) {
      const out = await this.#client.send(
        new GetCommand({ TableName: this.#tableName, Key: idempotencyKey, ConsistentRead: true }),
      );
      item = out.Item;
    }
    const requestId = attributeString(item?.requestId);
    const existing = requestId === undefined ? undefined : await this.get(requestId);
    if (!existing) throw new Error('idempotency key maps to a request that cannot be read');
    return { request: existing, fingerprint: attributeString(item?.fingerprint) };
  }
}

// ---- items ---------------------------------------------------------------------------------

function requestItem(request: AccessRequest): Item {
  return {
    ...withoutUndefined(request),
    ...keys.request(request.id),
    itemType: 'request' satisfies ItemType,
    listPartition: LIST_PARTITION,
    listKey: keys.listKey(request.createdAt, request.id),
  };
}

function fromRequestItem(item: Item): AccessRequest {
  const request: Item = { ...item };
  for (const name of STORAGE_ATTRIBUTES) delete request[name];
  const typed = request as unknown as AccessRequest;
  // DynamoDB maps keep no key order: give back the policy exactly as it was built (and hashed)
  return { ...typed, sessionPolicy: orderedPolicy(typed.sessionPolicy) };
}

function auditItem(event: AuditEvent): Item {
  return {
    ...withoutUndefined(event),
    ...keys.audit(event.requestId, event.seq),
    itemType: 'audit' satisfies ItemType,
  };
}

function fromAuditItem(item: Item): AuditEvent {
  const event: Item = { ...item };
  for (const name of STORAGE_ATTRIBUTES) delete event[name];
  return event as unknown as AuditEvent;
}

/** TTL attribute value (epoch seconds) for an ISO time: a backstop for cleanup, never a security boundary. */
function ttlOf(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${iso}`);
  return Math.ceil(ms / 1000);
}

function credentialsItem(requestId: string, sealed: SealedCredentials): Item {
  const expiresAtMs = Date.parse(sealed.expiration);
  if (Number.isNaN(expiresAtMs))
    throw new Error(`sealed credentials of request ${requestId} have no valid expiration`);
  return {
    ...keys.credentials(requestId),
    itemType: 'credentials' satisfies ItemType,
    ciphertext: sealed.ciphertext,
    expiration: sealed.expiration,
    // a backstop only: TTL deletes lag, so readers must check `expiration` themselves
    [REQUESTS_TABLE.ttlAttribute]: Math.ceil(expiresAtMs / 1000),
  };
}

function assertEventOf(requestId: string, event: AuditEvent): void {
  if (event.requestId !== requestId)
    throw new Error(`audit event of ${event.requestId} written with request ${requestId}`);
}

/** Drops `undefined` at every level (optional fields), whatever the client's marshall options. */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Item = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== undefined) out[key] = withoutUndefined(inner);
  }
  return out as T;
}

// ---- transactions --------------------------------------------------------------------------

interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}

/** The per-item reasons of a cancelled transaction, in TransactItems order; undefined for any other error. */
function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? (reasons as CancellationReason[]) : [];
}

/** A string attribute from a raw (`{S: ...}`) or unmarshalled item. */
function attributeString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { S?: unknown }).S === 'string') {
    return (value as { S: string }).S;
  }
  return undefined;
}

// ---- listing -------------------------------------------------------------------------------

interface ListPlan {
  index: IndexDefinition;
  partitionValue: string;
  filter?: Pick<
    QueryCommandInput,
    'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  >;
}

/**
 * Picks the index that answers the query with the least filtering. A requester's list reads its
 * subject's partition of `byRequester` and keeps only its issuer's items (and, for the issuer
 * legacy requests are attributed to, the items stored without an issuer).
 */
function listPlan(query: ListQuery): ListPlan {
  const { byRequester, byStatus, byTime } = REQUESTS_TABLE.indexes;
  if (query.requester !== undefined) {
    const issuerFilter = query.requester.includeLegacy
      ? '(#requesterIssuer = :requesterIssuer OR attribute_not_exists(#requesterIssuer))'
      : '#requesterIssuer = :requesterIssuer';
    return {
      index: byRequester,
      partitionValue: query.requester.subject,
      filter: {
        FilterExpression: query.status !== undefined ? `${issuerFilter} AND #status = :status` : issuerFilter,
        ExpressionAttributeNames: {
          '#requesterIssuer': 'requesterIssuer',
          ...(query.status !== undefined ? { '#status': 'status' } : {}),
        },
        ExpressionAttributeValues: {
          ':requesterIssuer': query.requester.issuer,
          ...(query.status !== undefined ? { ':status': query.status } : {}),
        },
      },
    };
  }
  if (query.status !== undefined) return { index: byStatus, partitionValue: query.status };
  return { index: byTime, partitionValue: LIST_PARTITION };
}

function page_(items: Item[], nextCursor?: string): Page<AccessRequest> {
  const requests = items.map(fromRequestItem);
  return nextCursor === undefined ? { items: requests } : { items: requests, nextCursor };
}

function indexKeyOf(index: IndexDefinition, item: Item): Item {
  return {
    PK: item.PK,
    SK: item.SK,
    [index.partitionKey]: item[index.partitionKey],
    [index.sortKey]: item[index.sortKey],
  };
}

/** A short digest of who pages (undefined for internal callers): what a cursor is bound to. */
function cursorBinding(caller: string | undefined): string | undefined {
  return caller === undefined
    ? undefined
    : createHash('sha256').update(caller).digest('base64url').slice(0, 22);
}

/**
 * The cursor is opaque to callers: base64url of the index name, the key to start after and
 * the digest of the caller it was given to.
 */
function encodeCursor(index: IndexDefinition, key: Item, binding: string | undefined): string {
  return Buffer.from(
    JSON.stringify({ i: index.indexName, k: key, ...(binding !== undefined ? { c: binding } : {}) }),
  ).toString('base64url');
}

/**
 * Decodes a cursor and checks it belongs to this very query (same index, same partition) and
 * to this very caller (a cursor handed to one principal never pages another's list).
 */
function decodeCursor(cursor: string, plan: ListPlan, binding: string | undefined): Item {
  const invalid = () => new ValidationError('the cursor is invalid or belongs to another query');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (decoded === null || typeof decoded !== 'object') throw invalid();
  const { i, k, c } = decoded as { i?: unknown; k?: unknown; c?: unknown };
  if (i !== plan.index.indexName || k === null || typeof k !== 'object') throw invalid();
  if (c !== binding) throw invalid();
  const key = k as Item;
  const names = ['PK', 'SK', plan.index.partitionKey, plan.index.sortKey];
  if (Object.keys(key).length !== names.length || !names.every((name) => typeof key[name] === 'string')) {
    throw invalid();
  }
  if (key[plan.index.partitionKey] !== plan.partitionValue) throw invalid();
  return key;
}
