import { SFNClient } from '@aws-sdk/client-sfn';

let defaultClient: SFNClient | undefined;

/**
 * The module-level Step Functions client, built on first use (region and credentials
 * from the Lambda environment) and shared by the adapters of the process.
 */
export function defaultSfnClient(): SFNClient {
  defaultClient ??= new SFNClient({});
  return defaultClient;
}
