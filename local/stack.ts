/**
 * The local stack: jitvend whole on one machine, no AWS account, no Docker.
 * DynamoDB Local (AWS's own engine) keeps the data under the data dir, the synthesized
 * Step Functions definition runs in process, the same Lambda handlers answer HTTP, and
 * clearly-local stand-ins replace STS and the OIDC identity provider.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ROUTE_HANDLERS, stepsOf } from '../functions/handlers.ts';
import type { ApiHandler } from '../functions/http.ts';
import type { Runtime } from '../functions/runtime.ts';
import { loadWorkflowDefinition } from '../infra/workflow-definition-loader.ts';
import { LocalCloudTrailStandIn } from '../shared/adapters/cloudtrail/local-stand-in.ts';
import { AesGcmVault } from '../shared/adapters/crypto/aes-gcm-vault.ts';
import { createDocumentClient } from '../shared/adapters/dynamodb/client.ts';
import { DynamoDbDenyListStore } from '../shared/adapters/dynamodb/deny-list-store.ts';
import { DynamoDbRequestStore } from '../shared/adapters/dynamodb/request-store.ts';
import { ensureTable } from '../shared/adapters/dynamodb/table.ts';
import { FanoutNotifier } from '../shared/adapters/notify/fanout-notifier.ts';
import { DynamoDbNotificationLedger } from '../shared/adapters/notify/notification-ledger.ts';
import { OidcVerifier } from '../shared/adapters/oidc/verifier.ts';
import { type LoadedConfig, loadConfig } from '../shared/config.ts';
import { needsWorkflow } from '../shared/domain/lifecycle.ts';
import { type Clock, systemClock } from '../shared/domain/ports.ts';
import { localStackEnvironment, readEnvironment } from '../shared/environment.ts';
import { localChannels } from './channels.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { LocalSessionRevoker } from './iam-stand-in.ts';
import { localRoutes } from './local-routes.ts';
import { consoleLogger, type LogLevel } from './logger.ts';
import { EventWatcher, NotifyingStore } from './notifying-store.ts';
import { LOCAL_ISSUER_URL, LocalOidcIssuer } from './oidc-issuer.ts';
import { Outbox } from './outbox.ts';
import { loadOrCreateKeyFile } from './secret-file.ts';
import { startServer } from './server.ts';
import { startLocalAuditStream } from './stream-poller.ts';
import { LocalCredentialIssuer } from './sts-stand-in.ts';
import { LocalWorkflowRunner } from './workflow-runner.ts';

export const LOCAL_TABLE_NAME = 'jitvend-local';
/** The local stack's Slack signing secret when SLACK_SIGNING_SECRET is not set (documented; local only). */
export const LOCAL_SLACK_SIGNING_SECRET = 'jitvend-local-slack-signing-secret';

export interface LocalStackOptions {
  dataDir?: string;
  host?: string;
  /** 0 picks a free port */
  port?: number;
  configPath?: string;
  config?: LoadedConfig;
  logLevel?: LogLevel;
  /** where log lines go (default: stderr) */
  logWrite?: (line: string) => void;
  clock?: Clock;
  /** per Wait state, in ms (tests) */
  waitTimeOverrides?: Record<string, number>;
  /** per Task state, ms between retries (tests) */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /**
   * DynamoDB Local already starting under `<dataDir>/dynamodb` (`npm start` spawns it before
   * loading this module, so Java boots while the rest loads); default: started here.
   */
  dynamoDb?: Promise<DynamoDbLocal>;
  /** the table the stack keeps everything in (default `jitvend-local`; tests sharing one DynamoDB Local give each stack its own) */
  tableName?: string;
}

export interface LocalStack {
  url: string;
  dataDir: string;
  /** the DynamoDB table behind the stores */
  tableName: string;
  runtime: Runtime;
  oidc: LocalOidcIssuer;
  sts: LocalCredentialIssuer;
  workflow: LocalWorkflowRunner;
  outbox: Outbox;
  iam: LocalSessionRevoker;
  /** the DynamoDB client every store call goes through (the bench counts its calls) */
  documentClient: DynamoDBDocumentClient;
  /** the node:http server behind `url` (tests inject in-memory connections into it) */
  httpServer: Server;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = readEnvironment(localStackEnvironment, process.env, 'jitvend local stack');
  const dataDir = resolve(options.dataDir ?? env.JITVEND_DATA_DIR);
  const host = options.host ?? '127.0.0.1';
  const logger = consoleLogger(options.logLevel ?? 'info', options.logWrite);
  const clock = options.clock ?? systemClock;
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const loaded = options.config ?? loadConfig(options.configPath ?? env.JITVEND_CONFIG);
  // requests stored before issuer-scoped identity were made with local tokens (docs/storage.md)
  const config = {
    ...loaded,
    legacyRequesterIssuer: loaded.legacyRequesterIssuerConfigured ?? LOCAL_ISSUER_URL,
  };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  // Requests that arrive while we start wait for the handlers, built once the runtime is.
  let ready!: (handlers: ReadonlyMap<string, ApiHandler>) => void;
  const handlers = new Promise<ReadonlyMap<string, ApiHandler>>((r) => (ready = r));

  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.warn('stop step failed', { error: String(error) }));
    }
  };
  try {
    // DynamoDB Local (Java) takes the longest to be ready: everything that needs no table is
    // done while it boots (the HTTP server, keys, the OIDC issuer).
    const dynamoStarting = options.dynamoDb ?? startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
    dynamoStarting.catch(() => {});
    cleanups.push(() => dynamoStarting.then((dynamo) => dynamo.stop()).catch(() => {}));
    // validated when it was cached (infra/workflow-definition-cache.ts): no check at every start
    const definition = await loadWorkflowDefinition();

    const sts = new LocalCredentialIssuer({ clock });
    const outbox = new Outbox(dataDir);
    let iam: LocalSessionRevoker | undefined;
    let oidc: LocalOidcIssuer | undefined;
    let store: NotifyingStore | undefined;
    const server = await startServer({
      host,
      port: options.port ?? env.PORT,
      handlerFor: (name) => {
        if (!ROUTE_HANDLERS[name]) throw new Error(`no handler ${name} in functions/handlers.ts`);
        return async (event, context) => (await handlers).get(name)!(event, context);
      },
      localRoutes: (req, url, body) => {
        if (!oidc || !store || !iam) return Promise.resolve(undefined);
        return localRoutes({
          oidc,
          outbox: () => outbox.list(),
          slackResponses: outbox,
          page: { store, outbox, iam, sts },
        })(req, url, body);
      },
      onError: (error) => logger.error('local server error', { error: String(error) }),
    });
    cleanups.push(() => server.close());
    const [credentialsKey, approvalTokenKey, loadedOidc] = await Promise.all([
      loadOrCreateKeyFile(join(dataDir, 'credentials.key')),
      loadOrCreateKeyFile(join(dataDir, 'approval-token.key')),
      LocalOidcIssuer.load(dataDir, LOCAL_ISSUER_URL, { clock }),
    ]);

    const dynamo = await dynamoStarting;
    const admin = new DynamoDBClient(dynamo.clientConfig);
    const table = await ensureTable(admin, tableName).finally(() => admin.destroy());
    // the audit trail: the table's stream into <dataDir>/audit/*.jsonl (stopped before DynamoDB Local)
    const auditStream = await startLocalAuditStream({
      dataDir,
      clientConfig: dynamo.clientConfig,
      tableName,
      logger,
    });
    cleanups.push(() => auditStream.stop());
    const client = createDocumentClient(dynamo.clientConfig);
    cleanups.push(async () => client.destroy());
    store = new NotifyingStore(new DynamoDbRequestStore({ tableName, client }));
    iam = new LocalSessionRevoker(dataDir, clock, {
      profiles: config.profiles,
      denyLists: new DynamoDbDenyListStore({ tableName, client }),
      managedPolicies: config.revocation.managedPolicies,
    });
    oidc = loadedOidc;
    const vault = new AesGcmVault(credentialsKey);

    // The runtime, in one pass. The workflow runner is its workflow and runs its steps: each
    // step reaches the runtime when it runs, as the local channels do.
    const workflow = new LocalWorkflowRunner({
      definition,
      definitionValidated: true,
      steps: stepsOf(() => runtime),
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      clock,
      logger,
    });
    cleanups.push(() => workflow.stop());
    const runtime: Runtime = {
      config,
      store,
      workflow,
      callback: workflow,
      issuer: sts,
      vault,
      watcher: new EventWatcher(store),
      usage: new LocalCloudTrailStandIn(join(dataDir, 'cloudtrail')),
      clock,
      newId: randomUUID,
      logger,
      revoker: iam,
      notifier: new FanoutNotifier(
        localChannels({ outbox, publicUrl: server.url, runtime: () => runtime }),
        logger,
        // each approver asked once per request and channel, across retries and restarts
        new DynamoDbNotificationLedger({ tableName, client, now: () => clock.now() }),
      ),
      secrets: {
        slackSigningSecret: env.SLACK_SIGNING_SECRET ?? LOCAL_SLACK_SIGNING_SECRET,
        approvalTokenKey,
      },
      verifier: new OidcVerifier({
        issuers: oidc.trustedIssuersFor(config.issuers),
        people: config.people,
        clock,
      }),
      publicUrl: server.url,
    };
    ready(new Map(Object.entries(ROUTE_HANDLERS).map(([name, make]) => [name, make(runtime)])));

    // A restart loses nothing: every request still in flight picks up where it was (a table
    // created just now holds none).
    let resumed = 0;
    for (let cursor: string | undefined, first = !table.created; first || cursor; first = false) {
      const page = await store.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      for (const request of page.items) {
        if (needsWorkflow(request)) {
          workflow.resume(request);
          resumed++;
        }
      }
      cursor = page.nextCursor;
    }
    if (resumed > 0) logger.info(`resumed ${resumed} request(s) in flight`);

    return {
      url: server.url,
      dataDir,
      tableName,
      runtime,
      oidc,
      sts,
      workflow,
      outbox,
      iam,
      documentClient: client,
      httpServer: server.server,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
