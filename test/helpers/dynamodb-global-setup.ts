/**
 * vitest globalSetup of the integration project: one DynamoDB Local (in memory) for every
 * test file that does not test DynamoDB Local itself. Files and in-process stacks each use
 * tables of their own on it (`sharedDynamoDb()` in ./dynamodb.ts), so they can run side by
 * side; a JVM booting per file was most of the suite's CPU.
 *
 * Tests about DynamoDB Local's own life (restart, persistence under a data dir, SIGKILL,
 * `npm start` as a separate process) still start their own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** endpoint of the DynamoDB Local shared by the integration project's files */
    sharedDynamoDbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-shared-ddb-'));
  const local = await startDynamoDbLocal({ dataDir, inMemory: true });
  project.provide('sharedDynamoDbEndpoint', local.endpoint);
  return async () => {
    await local.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
