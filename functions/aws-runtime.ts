/**
 * The AWS wiring of the runtime: every port bound to its AWS adapter. Environment and
 * config are read and validated once per Lambda container, failing fast with the name of
 * what is missing.
 */
import { randomUUID } from 'node:crypto';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { awsUsageSource } from '../shared/adapters/cloudtrail/index.ts';
import { DynamoDbRequestStore } from '../shared/adapters/dynamodb/request-store.ts';
import { IamSessionRevoker } from '../shared/adapters/iam/session-revoker.ts';
import { KmsVault } from '../shared/adapters/kms/kms-vault.ts';
import { type ApprovalChannel, FanoutNotifier } from '../shared/adapters/notify/fanout-notifier.ts';
import { OidcVerifier } from '../shared/adapters/oidc/verifier.ts';
import { StepFunctionsTaskCallback } from '../shared/adapters/sfn/task-callback.ts';
import { StepFunctionsWorkflow } from '../shared/adapters/sfn/workflow.ts';
import { StsCredentialIssuer } from '../shared/adapters/sts/credential-issuer.ts';
import { PollingWatcher } from '../shared/adapters/watch/polling-watcher.ts';
import { loadConfig } from '../shared/config.ts';
import { systemClock } from '../shared/domain/ports.ts';
import { describeIssues } from '../shared/zod-issues.ts';
import type { Runtime } from './runtime.ts';

const envSchema = z.object({
  TABLE_NAME: z.string().min(3),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  CREDENTIALS_KEY_ID: z.string().min(1).describe('KMS key that seals credentials until delivery'),
  PUBLIC_URL: z.url(),
  JITVEND_CONFIG: z.string().default('jitvend.config.yaml'),
});

/** The approval channels on AWS (Slack, SES email), from the environment. */
function awsChannels(_settings: z.infer<typeof envSchema>): ApprovalChannel[] {
  return [];
}

export function awsRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(`jitvend environment: ${describeIssues(parsed.error.issues).join('; ')}`);
  const settings = parsed.data;
  const config = loadConfig(settings.JITVEND_CONFIG);
  const store = new DynamoDbRequestStore({ tableName: settings.TABLE_NAME });
  const powertools = new PowertoolsLogger({ serviceName: 'jitvend' });
  const logger: Runtime['logger'] = {
    info: (message, fields) => powertools.info(message, fields ?? {}),
    warn: (message, fields) => powertools.warn(message, fields ?? {}),
    error: (message, fields) => powertools.error(message, fields ?? {}),
  };
  return {
    config,
    store,
    workflow: new StepFunctionsWorkflow({ stateMachineArn: settings.STATE_MACHINE_ARN }),
    callback: new StepFunctionsTaskCallback(),
    revoker: new IamSessionRevoker(),
    notifier: new FanoutNotifier(awsChannels(settings), logger),
    issuer: new StsCredentialIssuer(),
    vault: new KmsVault(settings.CREDENTIALS_KEY_ID),
    watcher: new PollingWatcher(store, 1000),
    usage: awsUsageSource(env),
    clock: systemClock,
    newId: randomUUID,
    verifier: new OidcVerifier({ issuers: config.issuers, people: config.people }),
    logger,
    publicUrl: settings.PUBLIC_URL,
    // Slack and email secrets come from Secrets Manager (wired with the CDK stack)
    secrets: { slackSigningSecret: '', approvalTokenKey: new Uint8Array() },
  };
}
