/**
 * The AWS wiring of the runtime: every port bound to its AWS adapter. Environment, config
 * and secrets are read and validated once per Lambda container, failing fast with the name
 * of what is missing. The CDK stack (infra/constructs/functions.ts) sets the environment;
 * each function gets only the variables (and the IAM grants) of what it uses.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { awsUsageSource } from '../shared/adapters/cloudtrail/index.ts';
import { DynamoDbDenyListStore } from '../shared/adapters/dynamodb/deny-list-store.ts';
import { DynamoDbRequestStore } from '../shared/adapters/dynamodb/request-store.ts';
import { IamSessionRevoker } from '../shared/adapters/iam/session-revoker.ts';
import { KmsVault } from '../shared/adapters/kms/kms-vault.ts';
import { redactingLogger } from '../shared/adapters/logging/redact.ts';
import { type ApprovalChannel, FanoutNotifier } from '../shared/adapters/notify/fanout-notifier.ts';
import { DynamoDbNotificationLedger } from '../shared/adapters/notify/notification-ledger.ts';
import { OidcVerifier } from '../shared/adapters/oidc/verifier.ts';
import type { ApprovalEmailDeps } from '../shared/adapters/ses/approval-emails.ts';
import { StepFunctionsTaskCallback } from '../shared/adapters/sfn/task-callback.ts';
import { StepFunctionsWorkflow } from '../shared/adapters/sfn/workflow.ts';
import { StsCredentialIssuer } from '../shared/adapters/sts/credential-issuer.ts';
import { PollingWatcher } from '../shared/adapters/watch/polling-watcher.ts';
import { loadConfig } from '../shared/config.ts';
import { configureCatalogue } from '../shared/domain/policy/catalogue.ts';
import { type Clock, systemClock } from '../shared/domain/ports.ts';
import type { JitvendConfig } from '../shared/domain/profile.ts';
import { readEnvironment, runtimeEnvironment } from '../shared/environment.ts';
import { describeIssues } from '../shared/zod-issues.ts';
import type { Runtime, RuntimeSecrets } from './runtime-types.ts';

export type AwsSettings = z.infer<typeof runtimeEnvironment>;

/** What was read from Secrets Manager for this function (only the secrets its environment names). */
export interface LoadedSecrets extends RuntimeSecrets {
  /** the Slack app's bot token (`xoxb-…`); empty without SLACK_SECRET_ARN */
  slackBotToken: string;
}

/**
 * Builds the approval channels (Slack, SES email). Only the function that notifies
 * approvers (the AwaitApproval step) passes one, so the Slack and SES clients are bundled
 * into that function alone; every other function's notifier has no channel.
 */
export type ChannelFactory = (
  settings: AwsSettings,
  secrets: LoadedSecrets,
  runtime: { store: ApprovalEmailDeps['store']; clock: Clock; config: Pick<JitvendConfig, 'profiles'> },
) => ApprovalChannel[];

let secretsClient: SecretsManagerClient | undefined;

async function secretString(arn: string, what: string): Promise<string> {
  secretsClient ??= new SecretsManagerClient({});
  const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: arn }));
  if (out.SecretString === undefined || out.SecretString === '')
    throw new Error(`${what}: the secret is empty`);
  return out.SecretString;
}

const slackSecretSchema = z.object({
  signingSecret: z.string().default(''),
  botToken: z.string().default(''),
});

/** Reads the secrets this function's environment names, once per container, in parallel. */
async function loadSecrets(settings: AwsSettings): Promise<LoadedSecrets> {
  const [slack, approvalKey] = await Promise.all([
    settings.SLACK_SECRET_ARN
      ? secretString(settings.SLACK_SECRET_ARN, 'SLACK_SECRET_ARN').then((text) => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            throw new Error('SLACK_SECRET_ARN: the secret is not JSON {signingSecret, botToken}');
          }
          const parsed = slackSecretSchema.safeParse(json);
          if (!parsed.success)
            throw new Error(`SLACK_SECRET_ARN: ${describeIssues(parsed.error.issues).join('; ')}`);
          return parsed.data;
        })
      : undefined,
    settings.APPROVAL_TOKEN_KEY_SECRET_ARN
      ? secretString(settings.APPROVAL_TOKEN_KEY_SECRET_ARN, 'APPROVAL_TOKEN_KEY_SECRET_ARN')
      : undefined,
  ]);
  return {
    // empty values fail closed: Slack signatures and approval links are then always refused
    slackSigningSecret: slack?.signingSecret ?? '',
    slackBotToken: slack?.botToken ?? '',
    approvalTokenKey: approvalKey ? approvalTokenKeyFrom(approvalKey) : new Uint8Array(),
  };
}

/** The 32-byte HMAC key of email approval links: SHA-256 of the secret string (generated by the stack). */
function approvalTokenKeyFrom(secret: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret, 'utf8').digest());
}

/** Where the bundle keeps the IAM catalogue: IAM_DATA_DIR, else `iam-data` next to the handler. */
function catalogueDir(settings: AwsSettings): string | undefined {
  if (settings.IAM_DATA_DIR) return settings.IAM_DATA_DIR;
  const bundled = settings.LAMBDA_TASK_ROOT ? join(settings.LAMBDA_TASK_ROOT, 'iam-data') : undefined;
  return bundled && existsSync(bundled) ? bundled : undefined;
}

let powertools: PowertoolsLogger | undefined;

/** The container's Powertools logger, which the runtime's logger writes through. */
function powertoolsLogger(): PowertoolsLogger {
  powertools ??= new PowertoolsLogger({ serviceName: 'jitvend' });
  return powertools;
}

/**
 * Adds the invocation's Lambda context (function name, request id, cold start) to the log
 * lines that follow, as Powertools' injectLambdaContext would (functions/runtime.ts calls it).
 */
export function addLambdaContext(context: Context): void {
  powertoolsLogger().addContext(context);
}

export async function awsRuntime(
  env: NodeJS.ProcessEnv = process.env,
  options: { channels?: ChannelFactory } = {},
): Promise<Runtime> {
  const settings = readEnvironment(runtimeEnvironment, env);
  const usage = awsUsageSource(env);
  const dataDir = catalogueDir(settings);
  if (dataDir) configureCatalogue({ dataDir });
  const config = loadConfig(settings.JITVEND_CONFIG);
  const secrets = await loadSecrets(settings);
  const store = new DynamoDbRequestStore({ tableName: settings.TABLE_NAME });
  const powertools = powertoolsLogger();
  const logger: Runtime['logger'] = redactingLogger({
    info: (message, fields) => powertools.info(message, fields ?? {}),
    warn: (message, fields) => powertools.warn(message, fields ?? {}),
    error: (message, fields) => powertools.error(message, fields ?? {}),
  });
  return {
    config,
    store,
    workflow: new StepFunctionsWorkflow({ stateMachineArn: settings.STATE_MACHINE_ARN }),
    callback: new StepFunctionsTaskCallback(),
    revoker: new IamSessionRevoker({
      denyLists: new DynamoDbDenyListStore({ tableName: settings.TABLE_NAME }),
      managedPolicies: config.revocation.managedPolicies,
    }),
    notifier: notifierOf(
      options.channels?.(settings, secrets, { store, clock: systemClock, config }) ?? [],
      logger,
      settings.TABLE_NAME,
    ),
    issuer: new StsCredentialIssuer(),
    vault: new KmsVault(settings.CREDENTIALS_KEY_ID),
    watcher: new PollingWatcher(store, 1000),
    usage,
    clock: systemClock,
    newId: randomUUID,
    verifier: new OidcVerifier({ issuers: config.issuers, people: config.people }),
    logger,
    publicUrl: settings.PUBLIC_URL,
    secrets: { slackSigningSecret: secrets.slackSigningSecret, approvalTokenKey: secrets.approvalTokenKey },
  };
}

/** The approval channels, each approver reached once per request and channel (a ledger in the table). */
function notifierOf(
  channels: ApprovalChannel[],
  logger: Runtime['logger'],
  tableName: string,
): FanoutNotifier {
  if (channels.length === 0) return new FanoutNotifier([], logger);
  return new FanoutNotifier(channels, logger, new DynamoDbNotificationLedger({ tableName }));
}
