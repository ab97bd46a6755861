/**
 * `npm run bench:cost`: what 1,000 auto-approved and 1,000 human-approved requests cost on AWS,
 * counted from a run of the local stack (in process, loopback only) and priced at the public
 * us-east-1 list prices below.
 *
 * The run plays COST_FLOWS requests of each kind (default 50; the table scales the counts to
 * 1,000), each to its end: auto = POST /requests (read-only from main) → GET ?waitSeconds=20
 * until issued → POST …/credentials → the session expires (the Expire step runs); human = the
 * same from a branch asking for a write, decided by an approver (POST …/decision) once the
 * approvers are notified. The long polls use the AWS runtime's PollingWatcher (one GetItem a
 * second), as the Lambda does, not the local stack's in-memory watcher.
 *
 * Counted from the run, as the AWS design makes them:
 * - API Gateway (HTTP API) requests and their Lambda invocations: every call to an API route,
 *   its Lambda duration taken as the time the client waited for the answer (an upper bound);
 * - workflow Lambda invocations and durations: every step the local runner calls, timed;
 * - Step Functions (Standard) state transitions: the states each execution enters, and retries;
 * - DynamoDB read and write request units: ConsumedCapacity (INDEXES) of every call, which
 *   DynamoDB Local reports (transactions at twice the units, index writes included);
 * - KMS requests: one Encrypt per credentials sealed, one Decrypt per delivery (KmsVault);
 * - STS AssumeRole calls; SES emails sent; EventBridge events (one per audit event).
 * Not counted: the audit-stream Lambda's duration (its invocations are counted, one per stream
 * batch the local poller hands over; AWS batches differently), CloudWatch Logs, Secrets Manager
 * and JWKS reads (cached per Lambda container), KMS calls DynamoDB makes for its table key
 * (cached data keys), DynamoDB Streams reads (free for Lambda triggers), S3 for CloudTrail.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Runtime } from '../functions/runtime.ts';
import { startLocalStack } from '../local/stack.ts';
import { PollingWatcher } from '../shared/adapters/watch/polling-watcher.ts';

const FLOWS = Number(process.env.COST_FLOWS ?? 50);
const CONCURRENCY = 10;
const PER = 1000;
if (!Number.isInteger(FLOWS) || FLOWS < 1) throw new Error(`COST_FLOWS must be a positive integer`);

/**
 * Public us-east-1 list prices in USD, as published on the AWS pricing pages in 2025 (DynamoDB
 * on-demand as cut on 2024-11-01); not re-checked online by this script (it runs offline).
 * The deployment's functions are arm64 with 1024 MB (infra/constructs/jitvend.ts).
 */
const PRICES = {
  date: '2025 list prices (DynamoDB on-demand since 2024-11-01)',
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaMemoryGb: 1024 / 1024,
  stepFunctionsPerTransition: 0.025 / 1000,
  dynamoDbPerWriteUnit: 0.625 / 1e6,
  dynamoDbPerReadUnit: 0.125 / 1e6,
  kmsPerRequest: 0.03 / 10_000,
  stsPerCall: 0,
  apiGatewayHttpPerRequest: 1.0 / 1e6,
  sesPerEmail: 0.1 / 1000,
  eventBridgePerEvent: 1.0 / 1e6,
} as const;

interface Counts {
  apiRequests: number;
  apiLambdaMs: number;
  stepInvocations: number;
  stepLambdaMs: number;
  auditStreamInvocations: number;
  transitions: number;
  readUnits: number;
  writeUnits: number;
  dynamoDbCalls: number;
  kms: number;
  sts: number;
  emails: number;
  events: number;
}
const zero = (): Counts => ({
  apiRequests: 0,
  apiLambdaMs: 0,
  stepInvocations: 0,
  stepLambdaMs: 0,
  auditStreamInvocations: 0,
  transitions: 0,
  readUnits: 0,
  writeUnits: 0,
  dynamoDbCalls: 0,
  kms: 0,
  sts: 0,
  emails: 0,
  events: 0,
});
/** what is being counted now (auto or human), or nothing (setup) */
let current: Counts | undefined;

// Step Functions transitions: every state entered, and every retry, of every execution
const run = StateMachine.prototype.run;
StateMachine.prototype.run = function (this: StateMachine, ...args: Parameters<typeof run>) {
  const execution = run.apply(this, args);
  const into = current;
  void (async () => {
    for await (const event of execution.eventLogs) {
      if (into && (event.type === 'StateEntered' || event.type === 'StateRetried')) into.transitions++;
    }
  })().catch(() => undefined);
  return execution;
};

const READ_COMMANDS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-cost-'));
  const logLines: string[] = [];
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    logLevel: 'info',
    logWrite: (line) => logLines.push(line),
    // the session ends 8 s after it is issued (after its delivery): every request's Expire step is counted
    waitTimeOverrides: { WaitUntilExpiry: 8_000 },
  });
  try {
    const runtime = stack.runtime as { -readonly [K in keyof Runtime]: Runtime[K] };
    // long polls as on AWS: a consistent GetItem every second
    runtime.watcher = new PollingWatcher(runtime.store, 1000);
    instrument(
      stack.documentClient,
      runtime,
      stack.workflow as unknown as { steps?: Record<string, unknown> },
    );

    const token = async (claims: Record<string, unknown>) => {
      const res = await fetch(`${stack.url}/.local/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ claims }),
      });
      return ((await res.json()) as { token: string }).token;
    };
    const main = await token({
      sub: 'repo:acme/orders:ref:refs/heads/main',
      repository: 'acme/orders',
      ref: 'refs/heads/main',
    });
    const branch = await token({
      sub: 'repo:acme/orders:ref:refs/heads/feature',
      repository: 'acme/orders',
      ref: 'refs/heads/feature',
    });
    const alice = await token({ sub: 'user:alice', email: 'alice@example.com' });

    const api = async (method: string, path: string, bearer: string, body?: unknown) => {
      const started = performance.now();
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (current) {
        current.apiRequests++;
        current.apiLambdaMs += performance.now() - started;
      }
      return { status: res.status, body: json };
    };
    const notified = async (id: string) => {
      for (let i = 0; i < 400; i++) {
        if (stack.outbox.list().some((m) => JSON.stringify(m).includes(id))) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`approvers of ${id} were never notified`);
    };

    const flow = async (human: boolean) => {
      const pipeline = human ? branch : main;
      const created = await api('POST', '/requests', pipeline, {
        profile: 'orders-it',
        permissions: [
          {
            actions: [human ? 'dynamodb:PutItem' : 'dynamodb:GetItem'],
            resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users'],
          },
        ],
        durationSeconds: 900,
        reason: 'cost model',
      });
      if (created.status !== 201)
        throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
      const id = String(created.body.id);
      const deciding = human
        ? notified(id).then(() => api('POST', `/requests/${id}/decision`, alice, { decision: 'approve' }))
        : Promise.resolve(undefined);
      let status = String(created.body.status);
      while (status !== 'issued') {
        const view = await api('GET', `/requests/${id}?waitSeconds=20`, pipeline);
        status = String(view.body.status);
        if (!['pending_approval', 'approved', 'issued'].includes(status))
          throw new Error(`request ${id} ended ${status}`);
      }
      const decision = await deciding;
      if (decision && decision.status !== 200) throw new Error(`decision: ${decision.status}`);
      const credentials = await api('POST', `/requests/${id}/credentials`, pipeline);
      if (credentials.status !== 200) throw new Error(`credentials: ${credentials.status}`);
    };

    const counted: Record<'auto' | 'human', Counts> = { auto: zero(), human: zero() };
    const emailsBefore = () =>
      stack.outbox.list().filter((m) => JSON.stringify(m).includes('"email"')).length;
    for (const kind of ['auto', 'human'] as const) {
      const linesBefore = logLines.length;
      const emails0 = emailsBefore();
      current = counted[kind];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < FLOWS) {
            next++;
            await flow(kind === 'human');
          }
        }),
      );
      await stack.workflow.idle(); // every Expire step has run
      await new Promise((r) => setTimeout(r, 1_500)); // the audit stream has handed over the last batch
      const lines = logLines.slice(linesBefore);
      counted[kind].auditStreamInvocations = lines.filter((l) => l.includes('audit stream batch')).length;
      counted[kind].events = lines.filter((l) => l.includes('event bus (local)')).length;
      counted[kind].emails = emailsBefore() - emails0;
      current = undefined;
    }
    report(counted);
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function instrument(
  documentClient: Awaited<ReturnType<typeof startLocalStack>>['documentClient'],
  runtime: { -readonly [K in keyof Runtime]: Runtime[K] },
  workflow: { steps?: Record<string, unknown> },
): void {
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const into = current;
      if (!into) return next(args);
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
        (sum: number, c: { CapacityUnits?: number }) => sum + (c.CapacityUnits ?? 0),
        0,
      );
      into.dynamoDbCalls++;
      if (READ_COMMANDS.has(String(context.commandName))) into.readUnits += units;
      else into.writeUnits += units;
      return out;
    },
    { step: 'initialize', name: 'jitvendCostCounter' },
  );
  const vault = runtime.vault;
  runtime.vault = {
    seal: (...args: Parameters<typeof vault.seal>) => {
      if (current) current.kms++;
      return vault.seal(...args);
    },
    open: (...args: Parameters<typeof vault.open>) => {
      if (current) current.kms++;
      return vault.open(...args);
    },
  } as typeof vault;
  const issuer = runtime.issuer;
  const assumeRole = issuer.assumeRole.bind(issuer);
  issuer.assumeRole = (...args: Parameters<typeof issuer.assumeRole>) => {
    if (current) current.sts++;
    return assumeRole(...args);
  };
  const steps = workflow.steps ?? {};
  for (const [name, fn] of Object.entries(steps)) {
    if (typeof fn !== 'function') continue;
    steps[name] = async (...args: unknown[]) => {
      const into = current;
      const started = performance.now();
      try {
        return await fn.apply(steps, args);
      } finally {
        if (into) {
          into.stepInvocations++;
          into.stepLambdaMs += performance.now() - started;
        }
      }
    };
  }
}

function report(counted: Record<'auto' | 'human', Counts>): void {
  const scale = PER / FLOWS;
  const usd = (n: number) => (n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(5)}` : `$${n.toFixed(3)}`);
  const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  type Row = [string, (c: Counts) => number, (n: number) => number, string];
  const gbSeconds = (ms: number) => (ms / 1000) * PRICES.lambdaMemoryGb;
  const rows: Row[] = [
    [
      'API Gateway HTTP API requests',
      (c) => c.apiRequests,
      (n) => n * PRICES.apiGatewayHttpPerRequest,
      '$1.00 / million',
    ],
    [
      'Lambda invocations (API + workflow steps + audit stream)',
      (c) => c.apiRequests + c.stepInvocations + c.auditStreamInvocations,
      (n) => n * PRICES.lambdaPerRequest,
      '$0.20 / million',
    ],
    [
      'Lambda GB-seconds (1024 MB; API and steps, as timed here)',
      (c) => gbSeconds(c.apiLambdaMs + c.stepLambdaMs),
      (n) => n * PRICES.lambdaPerGbSecondArm,
      '$0.0000133334 / GB-s (arm64)',
    ],
    [
      'Step Functions state transitions (Standard)',
      (c) => c.transitions,
      (n) => n * PRICES.stepFunctionsPerTransition,
      '$0.025 / 1,000',
    ],
    [
      'DynamoDB write request units (on-demand)',
      (c) => c.writeUnits,
      (n) => n * PRICES.dynamoDbPerWriteUnit,
      '$0.625 / million',
    ],
    [
      'DynamoDB read request units (on-demand)',
      (c) => c.readUnits,
      (n) => n * PRICES.dynamoDbPerReadUnit,
      '$0.125 / million',
    ],
    ['KMS requests (Encrypt, Decrypt)', (c) => c.kms, (n) => n * PRICES.kmsPerRequest, '$0.03 / 10,000'],
    ['STS AssumeRole calls', (c) => c.sts, (n) => n * PRICES.stsPerCall, 'no charge'],
    ['SES emails', (c) => c.emails, (n) => n * PRICES.sesPerEmail, '$0.10 / 1,000'],
    [
      'EventBridge events (one per audit event)',
      (c) => c.events,
      (n) => n * PRICES.eventBridgePerEvent,
      '$1.00 / million',
    ],
  ];
  const lines: string[][] = [
    ['per 1,000 requests', 'auto: count', 'auto: cost', 'human: count', 'human: cost', 'price'],
  ];
  const totals = { auto: 0, human: 0 };
  for (const [name, count, price, unit] of rows) {
    const auto = count(counted.auto) * scale;
    const human = count(counted.human) * scale;
    totals.auto += price(auto);
    totals.human += price(human);
    lines.push([name, num(auto), usd(price(auto)), num(human), usd(price(human)), unit]);
  }
  lines.push(['total', '', usd(totals.auto), '', usd(totals.human), '']);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const line = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    `jitvend cost model: ${FLOWS} requests of each kind played on the local stack, counts scaled to ${PER}; prices: us-east-1, ${PRICES.date}; load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' / ')}`,
  );
  console.log(
    [
      line(lines[0]!),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...lines.slice(1).map(line),
    ].join('\n'),
  );
  const per = (n: number) => (n / FLOWS).toFixed(2);
  for (const kind of ['auto', 'human'] as const) {
    const c = counted[kind];
    console.log(
      `per ${kind} request: ${per(c.apiRequests)} API calls, ${per(c.stepInvocations)} workflow steps, ${per(c.transitions)} transitions, ${per(c.dynamoDbCalls)} DynamoDB calls (${per(c.writeUnits)} WRU, ${per(c.readUnits)} RRU), ${per(c.auditStreamInvocations)} audit-stream batches`,
    );
  }
  console.log(
    'A pipeline that waits for a person holds a long poll open: each minute of waiting adds 3 GET calls (API Gateway + Lambda invocations), 60 GB-s of Lambda (about $0.0008) and 60 consistent GetItems (60 RRU).',
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench:cost failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
