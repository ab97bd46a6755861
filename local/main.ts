/**
 * `npm start`: the local stack in the foreground. Prints the URL and a copy-paste example;
 * Ctrl-C stops everything cleanly (DynamoDB Local included). Data stays under .jitvend/.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from './dynamodb-local.ts';

async function main(): Promise<void> {
  // The SDK's notice about Node 20 support ending in 2027 is for maintainers, not for every start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // DynamoDB Local (Java) takes seconds to boot: spawn it first and load the rest meanwhile
  // (docs/local-stack.md). Its failure, if any, is reported through startLocalStack.
  // JITVEND_DATA_DIR is defined in shared/environment.ts (localStackEnvironment), which the
  // stack validates; read here first, raw, so Java starts before zod loads.
  const dataDir = resolve(process.env.JITVEND_DATA_DIR || '.jitvend');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const dynamoDb = startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
  dynamoDb.catch(() => {});
  const { startLocalStack } = await import('./stack.ts');
  const stack = await startLocalStack({ dataDir, dynamoDb });
  const { url } = stack;
  const profile = Object.keys(stack.runtime.config.profiles)[0] ?? 'orders-it';
  process.stdout.write(
    [
      '',
      `jitvend local stack is up at ${url}  (data: ${stack.dataDir})`,
      '',
      'Try it (a pipeline of acme/orders on main asking for read-only access, auto-approved):',
      '',
      `  export JITVEND_API=${url}`,
      `  export JITVEND_TOKEN=$(curl -s -X POST $JITVEND_API/.local/oidc/token -H 'content-type: application/json' \\`,
      `      -d '{"claims":{"sub":"repo:acme/orders:ref:refs/heads/main","repository":"acme/orders","ref":"refs/heads/main","actor":"carol"}}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
      `  eval "$(npm run --silent jitvend -- request --profile ${profile} \\`,
      `      --allow 'dynamodb:GetItem,dynamodb:Query=arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*' \\`,
      `      --duration 15m --reason "integration tests" --wait --format env)"`,
      '  echo $AWS_ACCESS_KEY_ID                                          # ASIAJITVENDLOCAL…',
      '  npm run --silent jitvend -- release "$JITVEND_REQUEST_ID"       # tests done: end it now',
      '',
      `API: ${url}/openapi.json   health: ${url}/health   Ctrl-C to stop`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n[jitvend] ${signal}: stopping…\n`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // by name: importing shared/config.ts here would load zod and yaml before Java is spawned
  if (error instanceof Error && error.name === 'ConfigError') {
    process.stderr.write(`jitvend: ${error.message}\n`);
  } else {
    process.stderr.write(
      `jitvend: could not start the local stack: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  process.exit(1);
});
