/**
 * Integration-test helper: the DynamoDB Local shared by the integration project (started once
 * by ./dynamodb-global-setup.ts; one of the file's own where there is none), a table with a
 * unique name per call of `createTable()`, clients torn down after the file.
 *
 *   const ddb = useDynamoDbLocal();
 *   beforeAll(async () => { tableName = await ddb.createTable(); });
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { type DynamoDbLocal, localClientConfig, startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { ensureTable } from '../../shared/adapters/dynamodb/table.ts';

export interface DynamoDbTestContext {
  readonly local: DynamoDbLocal;
  readonly dataDir: string;
  /** low-level client (CreateTable, DescribeTable, raw items) */
  readonly client: DynamoDBClient;
  /** the document client the store uses, with jitvend's marshall options */
  readonly documentClient: DynamoDBDocumentClient;
  /** Creates a fresh table (jitvend's design) with a unique name and returns the name. */
  createTable(prefix?: string): Promise<string>;
  /** A new document client on the same endpoint (e.g. to count one store's calls). */
  newDocumentClient(): DynamoDBDocumentClient;
}

/**
 * The DynamoDB Local every file of the integration project shares (see ./dynamodb-global-setup.ts),
 * or undefined outside it. It is not ours to stop: its `stop()` leaves it running.
 */
function sharedDynamoDb(): DynamoDbLocal | undefined {
  const endpoint = inject('sharedDynamoDbEndpoint');
  if (!endpoint) return undefined;
  const port = Number(new URL(endpoint).port);
  return { endpoint, port, pid: -1, clientConfig: localClientConfig(endpoint), stop: async () => {} };
}

/** Options for `startLocalStack` that put the stack on the shared DynamoDB Local, in a table of its own. */
export function sharedStackOptions(): { dynamoDb?: Promise<DynamoDbLocal>; tableName?: string } {
  const shared = sharedDynamoDb();
  if (!shared) return {};
  return { dynamoDb: Promise.resolve(shared), tableName: `jitvend-it-${randomUUID().slice(0, 8)}` };
}

/** Registers beforeAll/afterAll hooks; the returned context is usable from inside tests and hooks. */
export function useDynamoDbLocal(): DynamoDbTestContext {
  let state: {
    local: DynamoDbLocal;
    dataDir: string;
    client: DynamoDBClient;
    documentClient: DynamoDBDocumentClient;
  };
  const extraClients: DynamoDBDocumentClient[] = [];
  const started = () => {
    if (!state) throw new Error('DynamoDB Local is not started yet: use the context inside tests or hooks');
    return state;
  };

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-ddb-'));
    const local = sharedDynamoDb() ?? (await startDynamoDbLocal({ dataDir, inMemory: true }));
    state = {
      local,
      dataDir,
      client: new DynamoDBClient(local.clientConfig),
      documentClient: createDocumentClient(local.clientConfig),
    };
  });

  afterAll(async () => {
    if (!state) return;
    for (const client of [state.client, state.documentClient, ...extraClients]) client.destroy();
    await state.local.stop();
    await rm(state.dataDir, { recursive: true, force: true });
  });

  return {
    get local() {
      return started().local;
    },
    get dataDir() {
      return started().dataDir;
    },
    get client() {
      return started().client;
    },
    get documentClient() {
      return started().documentClient;
    },
    async createTable(prefix = 'jitvend-test') {
      const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
      await ensureTable(started().client, tableName);
      return tableName;
    },
    newDocumentClient() {
      const client = createDocumentClient(started().local.clientConfig);
      extraClients.push(client);
      return client;
    },
  };
}

/** Counts the commands sent through a client (one per `send`, retries not counted), by command name. */
export function countCalls(client: DynamoDBDocumentClient): { counts: Map<string, number>; total(): number } {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown');
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'jitvendCallCounter' },
  );
  return { counts, total: () => [...counts.values()].reduce((sum, n) => sum + n, 0) };
}
