import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client with the marshalling jitvend's items need: optional fields left
 * `undefined` are dropped rather than rejected.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

let defaultClient: DynamoDBDocumentClient | undefined;

/**
 * The module-level client, built on first use (region and credentials from the Lambda
 * environment) and shared by every store in the process.
 */
export function defaultDocumentClient(): DynamoDBDocumentClient {
  defaultClient ??= createDocumentClient();
  return defaultClient;
}
