/**
 * The local stack started in the test's own process (fresh data dir, free port, quiet),
 * for integration tests that also reach into its runtime; and a small JSON HTTP client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import { DynamoDbRequestStore } from '../../shared/adapters/dynamodb/request-store.ts';
import { sharedStackOptions } from './dynamodb.ts';

export interface StackHandle {
  stack: LocalStack;
  dataDir: string;
}

/**
 * Starts one stack for the test file (beforeAll) and stops it (afterAll), on the DynamoDB Local
 * the integration project shares, in a table of its own.
 */
export function useLocalStack(options: Omit<LocalStackOptions, 'dataDir' | 'port'> = {}): StackHandle {
  const handle = {} as StackHandle;
  beforeAll(async () => {
    handle.dataDir = await mkdtemp(join(tmpdir(), 'jitvend-it-'));
    handle.stack = await startLocalStack({
      logLevel: 'silent',
      ...sharedStackOptions(),
      ...options,
      dataDir: handle.dataDir,
      port: 0,
    });
  });
  afterAll(async () => {
    await handle.stack?.stop();
    if (handle.dataDir) await rm(handle.dataDir, { recursive: true, force: true });
  });
  return handle;
}

/**
 * The stack's table as the DynamoDB adapter reads it, for what no port offers (the stored
 * task token or sealed credentials of a request): tests look without taking.
 */
export function tableOf(stack: LocalStack): DynamoDbRequestStore {
  return new DynamoDbRequestStore({ tableName: stack.tableName, client: stack.documentClient });
}

/** One JSON call to the stack's API, with an optional bearer token. */
export async function api(
  stack: LocalStack,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Long-polls until the request has the wanted status (bounded). */
export async function untilStatus(stack: LocalStack, id: string, token: string, wanted: string) {
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 10; i++) {
    last = (await api(stack, 'GET', `/requests/${id}?waitSeconds=5`, token)).body;
    if (last.status === wanted) return last;
  }
  throw new Error(
    `request ${id} never became ${wanted}: it is ${last.status} (${last.statusReason ?? 'no reason'})`,
  );
}
