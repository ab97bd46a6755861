/**
 * The store ports' contracts against both implementations: the DynamoDB adapter on DynamoDB
 * Local (one table per suite) and the in-memory fakes the use-case unit tests run on.
 */
import { beforeAll, describe } from 'vitest';
import { DynamoDbRequestStore } from '../../shared/adapters/dynamodb/request-store.ts';
import { approvalTokenStoreContract } from '../contracts/approval-token-store.ts';
import { requestRepositoryContract } from '../contracts/request-repository.ts';
import { taskTokenStoreContract } from '../contracts/task-token-store.ts';
import { InMemoryApprovalTokenStore } from '../fakes/approval-token-store.ts';
import { InMemoryRequestRepository } from '../fakes/request-repository.ts';
import { InMemoryTaskTokenStore } from '../fakes/task-token-store.ts';
import { useDynamoDbLocal } from '../helpers/dynamodb.ts';

const ddb = useDynamoDbLocal();
let dynamo: DynamoDbRequestStore;
beforeAll(async () => {
  dynamo = new DynamoDbRequestStore({
    tableName: await ddb.createTable('jitvend-contract'),
    client: ddb.documentClient,
  });
});

describe('DynamoDbRequestStore', () => {
  describe('as RequestRepository', () => requestRepositoryContract(() => dynamo));
  describe('as TaskTokenStore', () => taskTokenStoreContract(() => dynamo));
  describe('as ApprovalTokenStore', () => approvalTokenStoreContract(() => dynamo));
});

describe('in-memory fakes', () => {
  describe('InMemoryRequestRepository', () =>
    requestRepositoryContract(() => new InMemoryRequestRepository()));
  describe('InMemoryTaskTokenStore', () => taskTokenStoreContract(() => new InMemoryTaskTokenStore()));
  describe('InMemoryApprovalTokenStore', () =>
    approvalTokenStoreContract(() => new InMemoryApprovalTokenStore()));
});
