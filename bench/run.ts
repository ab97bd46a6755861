/**
 * `npm run bench`: the pipeline flow against the local stack over loopback HTTP, first from
 * outside (`npm start` in its own process, as a user runs it; this process is only the
 * client), then in process (the stack and the client in this process, so every DynamoDB call
 * and workflow step can be counted and timed).
 *
 * One flow = what a pipeline does: POST /requests (read-only on main: auto-approved) →
 * GET /requests/{id}?waitSeconds=20 until `issued` → POST /requests/{id}/credentials.
 *
 * From outside: warm-up, then latency of one pipeline at a time and throughput at 20
 * concurrent pipelines, with the machine's load average. In process, the same and more:
 * Measures latency of one pipeline at a time (p50/p95/p99/max), throughput at 20
 * concurrent pipelines, and DynamoDB calls per flow by command; and profiles where a
 * flow's time goes (HTTP phases, workflow transitions and steps, DynamoDB time, long polls
 * that were held although the answer was already there, CPU of Node and of DynamoDB Local,
 * DynamoDB Local's own speed). Prints tables, writes bench/results.json.
 *
 * Every phase is bounded in flows and in time; a flow still running at its phase's time
 * limit is cut off and reported (not counted as failed). Exit 0 when no flow failed (a
 * missed target is a finding, not an error), 1 when some did.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_TABLE_NAME, type LocalStack, startLocalStack } from '../local/stack.ts';
import { REQUESTS_TABLE } from '../shared/adapters/dynamodb/table.ts';
import { startStackProcess } from '../test/helpers/local-stack-process.ts';

// ---- parameters: every phase is bounded in count and in time --------------------------------------
const env = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const WARMUP = { flows: env('BENCH_WARMUP_FLOWS', 20), concurrency: 1, budgetMs: 10_000 };
const SEQUENTIAL = { flows: env('BENCH_SEQUENTIAL_FLOWS', 200), concurrency: 1, budgetMs: 40_000 };
const CONCURRENT = {
  flows: env('BENCH_CONCURRENT_FLOWS', 400),
  concurrency: env('BENCH_CONCURRENCY', 20),
  budgetMs: 25_000,
};
/** DynamoDB Local on its own: sequential calls, then concurrent GetItems and TransactWriteItems for a fixed time */
const BASELINE = { sequentialCalls: 100, concurrentMs: 1_500 };
/** one flow may take at most this long (one long poll is 20 s) */
const FLOW_TIMEOUT_MS = 25_000;
/** the whole bench, startup included: a safety net, the phase budgets add up to much less */
const TOTAL_BUDGET_MS = 240_000;
/** a GET answered this long after the store reached the status it returned was held for nothing */
const HELD_POLL_MS = 1_000;

const TARGETS = {
  sequentialFlows: 200,
  p50Ms: 100,
  p99Ms: 300,
  flowsPerSecond: 50,
  dynamoCallsPerFlow: 6,
  transactionsPerFlow: 3,
} as const;
/** issue 9: the flow seen from outside (`npm start`, then a separate client) */
const OUTSIDE_TARGETS = { p50Ms: 60, flowsPerSecond: 25 } as const;

const PROFILE = 'orders-it';
const REQUEST_BODY = JSON.stringify({
  profile: PROFILE,
  permissions: [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users'],
    },
  ],
  durationSeconds: 900,
  reason: 'bench',
});
const CLAIMS = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
  actor: 'carol',
};
const TERMINAL = new Set(['denied', 'timed_out', 'cancelled', 'revoked', 'failed', 'expired']);

// ---- small helpers ---------------------------------------------------------------------------------
const round = (n: number, digits = 1) =>
  Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n;
const sum = (values: Iterable<number>) => [...values].reduce((s, v) => s + v, 0);

/** nearest-rank percentile of sorted values */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    mean: round(sum(sorted) / (sorted.length || 1)),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const ms = (n: number) => `${round(n)} ms`;

// ---- instrumentation (bench-only wrappers: they observe, they change nothing) ------------------------
interface CallStats {
  counts: Map<string, number>;
  ms: Map<string, number>;
  /** the same, per request id (DynamoDB calls whose key names one request) */
  byRequest: Map<string, { counts: Map<string, number>; ms: Map<string, number> }>;
}
const newCallStats = (): CallStats => ({ counts: new Map(), ms: new Map(), byRequest: new Map() });
function record(stats: CallStats | undefined, name: string, elapsed: number, requestId?: string): void {
  if (!stats) return;
  const add = (into: { counts: Map<string, number>; ms: Map<string, number> }) => {
    into.counts.set(name, (into.counts.get(name) ?? 0) + 1);
    into.ms.set(name, (into.ms.get(name) ?? 0) + elapsed);
  };
  add(stats);
  if (requestId === undefined) return;
  const own = stats.byRequest.get(requestId) ?? { counts: new Map(), ms: new Map() };
  stats.byRequest.set(requestId, own);
  add(own);
}
/** The calls made for these requests only (flows cut off or failed, and other traffic, left out). */
function forRequests(stats: CallStats, ids: Iterable<string | undefined>): CallStats {
  const merged = newCallStats();
  for (const id of ids) {
    const own = id === undefined ? undefined : stats.byRequest.get(id);
    if (!own) continue;
    for (const [name, n] of own.counts) merged.counts.set(name, (merged.counts.get(name) ?? 0) + n);
    for (const [name, t] of own.ms) merged.ms.set(name, (merged.ms.get(name) ?? 0) + t);
  }
  return merged;
}
/** The request a DynamoDB command is about, from the `REQ#<id>` key values it names (keys, key conditions), if exactly one. */
function requestIdOf(input: unknown): string | undefined {
  const ids = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (typeof value === 'string') {
      if (value.startsWith('REQ#')) ids.add(value.slice('REQ#'.length));
      return;
    }
    if (depth > 6 || !value || typeof value !== 'object') return;
    for (const inner of Array.isArray(value) ? value : Object.values(value)) visit(inner, depth + 1);
  };
  const { Key, Item, ExpressionAttributeValues, TransactItems } = (input ?? {}) as Record<string, unknown>;
  visit([Key, Item, ExpressionAttributeValues, TransactItems], 0);
  return ids.size === 1 ? [...ids][0] : undefined;
}

function perFlow(stats: CallStats, flows: number) {
  const n = flows || 1;
  return Object.fromEntries(
    [...stats.counts.keys()].sort().map((name) => {
      const count = stats.counts.get(name) ?? 0;
      const time = stats.ms.get(name) ?? 0;
      return [
        name,
        {
          callsPerFlow: round(count / n, 2),
          msPerFlow: round(time / n, 2),
          msPerCall: round(time / (count || 1), 2),
        },
      ];
    }),
  );
}

/** Counts and times every command sent through the stack's document client (one per send; retries not counted). */
function instrumentDynamoDb(stack: LocalStack): { current: CallStats | undefined } {
  const sink: { current: CallStats | undefined } = { current: undefined };
  stack.documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const stats = sink.current;
      if (!stats) return next(args);
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const name = String(context.commandName ?? 'unknown');
        record(stats, name, performance.now() - started, requestIdOf(args.input));
      }
    },
    { step: 'initialize', name: 'jitvendBenchCallCounter' },
  );
  return sink;
}

/** Times the workflow's steps (evaluate, issue, ...) by wrapping the runner's step functions. */
function instrumentWorkflowSteps(stack: LocalStack): { current: CallStats | undefined } {
  const sink: { current: CallStats | undefined } = { current: undefined };
  const steps = (stack.workflow as unknown as { steps?: Record<string, unknown> }).steps;
  for (const [name, fn] of Object.entries(steps ?? {})) {
    if (typeof fn !== 'function' || !steps) continue;
    steps[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await fn.apply(steps, args);
      } finally {
        record(sink.current, name, performance.now() - started);
      }
    };
  }
  return sink;
}

/** When each request first reached each status (performance.now()), from the local store's change announcements. */
function instrumentTransitions(stack: LocalStack): Map<string, Map<string, number>> {
  const seen = new Map<string, Map<string, number>>();
  const changes = (stack.runtime.store as unknown as { changes?: NodeJS.EventEmitter }).changes;
  if (!changes) return seen;
  const emit = changes.emit.bind(changes);
  changes.emit = (event: string | symbol, ...args: unknown[]) => {
    const status = (args[0] as { status?: unknown } | undefined)?.status;
    if (typeof event === 'string' && typeof status === 'string') {
      const statuses = seen.get(event) ?? new Map<string, number>();
      seen.set(event, statuses);
      if (!statuses.has(status)) statuses.set(status, performance.now());
    }
    return emit(event, ...args);
  };
  return seen;
}

/** CPU ms busy so far on the whole machine (all cores), from /proc/stat: shows load from other processes. */
async function machineBusyMs(): Promise<number | undefined> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n')[0] ?? '';
  const ticks = line.split(/\s+/).slice(1).map(Number);
  if (!line.startsWith('cpu ') || ticks.length < 8) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = ticks as [number, ...number[]];
  return ((user + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / 100;
}

/** CPU ms (user + system) used so far by this process's descendants (DynamoDB Local's Java), from /proc. */
async function descendantsCpuMs(): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  const ticksPerSecond = 100; // USER_HZ
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 13) continue;
    parent.set(Number(entry), Number(fields[1]));
    cpu.set(Number(entry), ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond);
  }
  let total = 0;
  for (const [pid, used] of cpu) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += used;
        break;
      }
    }
  }
  return total;
}

// ---- one flow ----------------------------------------------------------------------------------------
interface Poll {
  status: string;
  /** ms after the flow started */
  sentAt: number;
  answeredAt: number;
}
interface FlowResult {
  outcome: 'ok' | 'failed' | 'cut_off';
  /** performance.now() at the start */
  startedAt: number;
  ms: number;
  createMs: number;
  waitMs: number;
  credentialsMs: number;
  polls: Poll[];
  id?: string;
  error?: string;
}

class FlowError extends Error {}

async function call(
  url: string,
  init: RequestInit,
  expected: number,
  what: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== expected) {
    throw new FlowError(`${what}: HTTP ${response.status}, expected ${expected}: ${text.slice(0, 200)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new FlowError(`${what}: the body is not JSON: ${text.slice(0, 200)}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new FlowError(`${what}: the body is not an object`);
  return body as Record<string, unknown>;
}

async function flow(baseUrl: string, token: string, phaseSignal: AbortSignal): Promise<FlowResult> {
  const signal = AbortSignal.any([phaseSignal, AbortSignal.timeout(FLOW_TIMEOUT_MS)]);
  const auth = { authorization: `Bearer ${token}` };
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  let created = 0;
  let issued = 0;
  const polls: Poll[] = [];
  let id: string | undefined;
  try {
    const view = await call(
      `${baseUrl}/requests`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: REQUEST_BODY,
        signal,
      },
      201,
      'POST /requests',
    );
    created = since();
    if (typeof view.id !== 'string' || !view.id) throw new FlowError('POST /requests: no id in the answer');
    id = view.id;
    if (view.profile !== PROFILE) throw new FlowError(`POST /requests: profile ${String(view.profile)}`);
    let status = String(view.status);
    while (status !== 'issued') {
      if (TERMINAL.has(status)) throw new FlowError(`the request ended ${status}`);
      const sentAt = since();
      const current = await call(
        `${baseUrl}/requests/${encodeURIComponent(id)}?waitSeconds=20`,
        { headers: auth, signal },
        200,
        'GET /requests/{id}',
      );
      if (current.id !== id) throw new FlowError(`GET /requests/{id}: answered for ${String(current.id)}`);
      status = String(current.status);
      polls.push({ status, sentAt, answeredAt: since() });
    }
    issued = since();
    const credentials = await call(
      `${baseUrl}/requests/${encodeURIComponent(id)}/credentials`,
      { method: 'POST', headers: auth, signal },
      200,
      'POST /requests/{id}/credentials',
    );
    for (const field of ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration']) {
      if (typeof credentials[field] !== 'string' || !credentials[field]) {
        throw new FlowError(`POST /requests/{id}/credentials: no ${field}`);
      }
    }
    const total = since();
    return {
      outcome: 'ok',
      startedAt: t0,
      ms: total,
      createMs: created,
      waitMs: issued - created,
      credentialsMs: total - issued,
      polls,
      id,
    };
  } catch (error) {
    const cutOff = phaseSignal.aborted;
    return {
      outcome: cutOff ? 'cut_off' : 'failed',
      startedAt: t0,
      ms: since(),
      createMs: created,
      waitMs: 0,
      credentialsMs: 0,
      polls,
      ...(id ? { id } : {}),
      error:
        error instanceof FlowError ? error.message : `${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

// ---- phases --------------------------------------------------------------------------------------------
interface PhaseRun {
  results: FlowResult[];
  wallMs: number;
  nodeCpuMs: number;
  dynamoDbLocalCpuMs: number | undefined;
  /** CPU ms used meanwhile by processes that are neither this one nor its DynamoDB Local */
  otherCpuMs: number | undefined;
  eventLoopUtilization: number;
}

async function runPhase(
  baseUrl: string,
  token: string,
  phase: { flows: number; concurrency: number; budgetMs: number },
): Promise<PhaseRun> {
  const results: FlowResult[] = [];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), phase.budgetMs);
  let started = 0;
  const cpu0 = process.cpuUsage();
  const child0 = await descendantsCpuMs();
  const machine0 = await machineBusyMs();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const pipeline = async () => {
    while (started < phase.flows && !stop.signal.aborted) {
      started++;
      results.push(await flow(baseUrl, token, stop.signal));
    }
  };
  await Promise.all(Array.from({ length: phase.concurrency }, pipeline));
  const wallMs = performance.now() - t0;
  clearTimeout(timer);
  const cpu = process.cpuUsage(cpu0);
  const child1 = await descendantsCpuMs();
  const machine1 = await machineBusyMs();
  const nodeCpuMs = (cpu.user + cpu.system) / 1000;
  const dynamoDbLocalCpuMs = child0 !== undefined && child1 !== undefined ? child1 - child0 : undefined;
  return {
    results,
    wallMs,
    nodeCpuMs,
    dynamoDbLocalCpuMs,
    otherCpuMs:
      machine0 !== undefined && machine1 !== undefined
        ? Math.max(0, machine1 - machine0 - nodeCpuMs - (dynamoDbLocalCpuMs ?? 0))
        : undefined,
    eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization,
  };
}

const ok = (run: PhaseRun) => run.results.filter((r) => r.outcome === 'ok');
const failed = (run: PhaseRun) => run.results.filter((r) => r.outcome === 'failed');
const cutOff = (run: PhaseRun) => run.results.filter((r) => r.outcome === 'cut_off');

/**
 * Long polls that were held although the answer was already there: the GET answered with a
 * status the store had reached more than HELD_POLL_MS before.
 */
function heldPolls(result: FlowResult, transitions: Map<string, Map<string, number>>) {
  const reached = result.id ? transitions.get(result.id) : undefined;
  if (!reached) return [];
  return result.polls.flatMap((poll) => {
    const at = reached.get(poll.status);
    if (at === undefined) return [];
    const storeAt = at - result.startedAt;
    const heldFor = poll.answeredAt - Math.max(storeAt, poll.sentAt);
    return heldFor > HELD_POLL_MS ? [{ ...poll, storeAt: round(storeAt), heldFor: round(heldFor) }] : [];
  });
}

/** DynamoDB Local by itself, with the stack's client: sequential GetItem and TransactWriteItems, concurrent GetItems. */
async function dynamoDbBaseline(stack: LocalStack, requestId: string) {
  const client = stack.documentClient;
  const getRequest = async () => {
    // the same read the store does (one GetItem), with the store's own key
    await stack.runtime.store.get(requestId);
  };
  const transact = async () => {
    const pk = `BENCH#${randomUUID()}`;
    await client.send(
      new TransactWriteCommand({
        TransactItems: ['A', 'B'].map((sk) => ({
          Put: {
            TableName: LOCAL_TABLE_NAME,
            Item: { [REQUESTS_TABLE.partitionKey]: pk, [REQUESTS_TABLE.sortKey]: sk, bench: true },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': REQUESTS_TABLE.partitionKey },
          },
        })),
      }),
    );
  };
  const timeEach = async (fn: () => Promise<void>, n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      times.push(performance.now() - t);
    }
    return summarize(times);
  };
  const getItem = await timeEach(getRequest, BASELINE.sequentialCalls);
  const transactWrite = await timeEach(transact, BASELINE.sequentialCalls / 2);
  // a bare GetItem of a missing key: the engine's floor, without unmarshalling a request
  const bareGetItem = await timeEach(async () => {
    await client.send(
      new GetCommand({
        TableName: LOCAL_TABLE_NAME,
        Key: { [REQUESTS_TABLE.partitionKey]: 'BENCH#none', [REQUESTS_TABLE.sortKey]: 'none' },
      }),
    );
  }, BASELINE.sequentialCalls);
  /** calls per second with CONCURRENCY at once, and the CPU each call costs in Node and in DynamoDB Local */
  const atConcurrency = async (fn: () => Promise<void>) => {
    let done = 0;
    const cpu0 = process.cpuUsage();
    const java0 = await descendantsCpuMs();
    const t0 = performance.now();
    const until = t0 + BASELINE.concurrentMs;
    await Promise.all(
      Array.from({ length: CONCURRENT.concurrency }, async () => {
        while (performance.now() < until) {
          await fn();
          done++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const java1 = await descendantsCpuMs();
    return {
      perSecond: round(done / seconds, 0),
      nodeCpuMsPerCall: round((cpu.user + cpu.system) / 1000 / (done || 1), 2),
      dynamoDbLocalCpuMsPerCall:
        java0 !== undefined && java1 !== undefined ? round((java1 - java0) / (done || 1), 2) : null,
    };
  };
  const concurrentGetItem = await atConcurrency(getRequest);
  const concurrentTransactWrite = await atConcurrency(transact);
  const getItemsPerSecond = concurrentGetItem.perSecond;
  const transactWritesPerSecond = concurrentTransactWrite.perSecond;
  return {
    getItem,
    bareGetItem,
    transactWrite,
    getItemsPerSecond,
    transactWritesPerSecond,
    concurrentGetItem,
    concurrentTransactWrite,
  };
}

// ---- from outside: `npm start` in its own process, this process only the client ------------------------
const loadAverage = () => loadavg().map((n) => round(n, 2));

async function outsideRun() {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-outside-'));
  const startup = performance.now();
  const stack = await startStackProcess(dataDir);
  try {
    const startupMs = performance.now() - startup;
    const issued = await fetch(`${stack.url}/.local/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claims: CLAIMS }),
    });
    const { token } = (await issued.json()) as { token: string };
    console.log(
      `jitvend bench, from outside: \`npm start\` up at ${stack.url} in ${Math.round(startupMs)} ms`,
    );
    const load = { before: loadAverage(), after: [] as number[] };
    const warmup = await runPhase(stack.url, token, WARMUP);
    const sequential = await runPhase(stack.url, token, SEQUENTIAL);
    const concurrent = await runPhase(stack.url, token, CONCURRENT);
    load.after = loadAverage();
    const seqOk = ok(sequential);
    const concOk = ok(concurrent);
    const all = [warmup, sequential, concurrent];
    return {
      startupMs: Math.round(startupMs),
      load,
      sequential: { flows: seqOk.length, latencyMs: summarize(seqOk.map((r) => r.ms)) },
      concurrent: {
        flows: concOk.length,
        wallMs: Math.round(concurrent.wallMs),
        flowsPerSecond: round(concOk.length / (concurrent.wallMs / 1000), 1),
        latencyMs: summarize(concOk.map((r) => r.ms)),
        /** CPU ms per flow: this client, and `npm start` (its Node and DynamoDB Local's Java) */
        cpuMsPerFlow: {
          client: round(concurrent.nodeCpuMs / (concOk.length || 1), 1),
          stack:
            concurrent.dynamoDbLocalCpuMs === undefined
              ? null
              : round(concurrent.dynamoDbLocalCpuMs / (concOk.length || 1), 1),
          otherProcesses:
            concurrent.otherCpuMs === undefined
              ? null
              : round(concurrent.otherCpuMs / (concOk.length || 1), 1),
        },
      },
      failed: all.flatMap(failed).map((f) => f.error ?? '?'),
      cutOff: all.flatMap(cutOff).length,
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function printOutside(outside: Awaited<ReturnType<typeof outsideRun>>): void {
  const { sequential: seq, concurrent: conc } = outside;
  console.log(
    `\nFrom outside (\`npm start\` in its own process; load average ${outside.load.before.join(' / ')} before, ${outside.load.after.join(' / ')} after, on ${cpus().length} cores):`,
  );
  console.log(
    table([
      ['figure', 'measured', 'target', ''],
      [
        `latency p50, 1 pipeline (${seq.flows} flows)`,
        ms(seq.latencyMs.p50),
        `≤ ${OUTSIDE_TARGETS.p50Ms} ms`,
        mark(seq.latencyMs.p50 <= OUTSIDE_TARGETS.p50Ms),
      ],
      [
        'latency p95 / p99 / max',
        `${seq.latencyMs.p95} / ${seq.latencyMs.p99} / ${seq.latencyMs.max} ms`,
        '',
        '',
      ],
      [
        `throughput, ${CONCURRENT.concurrency} pipelines`,
        `${conc.flowsPerSecond} flows/s (${conc.flows} in ${round(conc.wallMs / 1000)} s; p50 ${ms(conc.latencyMs.p50)})`,
        `≥ ${OUTSIDE_TARGETS.flowsPerSecond} flows/s`,
        mark(conc.flowsPerSecond >= OUTSIDE_TARGETS.flowsPerSecond),
      ],
      [
        'CPU per flow, 20 pipelines',
        `client ${conc.cpuMsPerFlow.client} ms, npm start (Node + DynamoDB Local) ${conc.cpuMsPerFlow.stack ?? '?'} ms, other processes ${conc.cpuMsPerFlow.otherProcesses ?? '?'} ms`,
        '',
        '',
      ],
      [
        'failed flows',
        `${outside.failed.length} (cut off: ${outside.cutOff})`,
        '0',
        mark(outside.failed.length === 0),
      ],
    ]),
  );
  for (const error of new Set(outside.failed)) console.log(`  failed: ${error}`);
}

// ---- main ----------------------------------------------------------------------------------------------
async function main(): Promise<number> {
  const benchStarted = performance.now();
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-'));
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${TOTAL_BUDGET_MS / 1000} s: giving up`);
    process.exit(2);
  }, TOTAL_BUDGET_MS);
  watchdog.unref();
  let stack: LocalStack | undefined;
  try {
    const outside = await outsideRun();
    printOutside(outside);
    console.log('');
    const startup = performance.now();
    stack = await startLocalStack({ dataDir, port: 0, logLevel: 'warn' });
    const startupMs = performance.now() - startup;
    const { hostname } = new URL(stack.url);
    if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '[::1]') {
      throw new Error(`the stack listens on ${stack.url}, not on loopback`);
    }
    const dynamo = instrumentDynamoDb(stack);
    const steps = instrumentWorkflowSteps(stack);
    const transitions = instrumentTransitions(stack);
    const token = await stack.oidc.sign(CLAIMS);
    const cores = cpus().length;

    console.log(
      `jitvend bench: local stack at ${stack.url}, started in ${Math.round(startupMs)} ms; ${cores} cores`,
    );
    const phaseLine = (name: string, p: typeof CONCURRENT) =>
      console.log(
        `  ${name}: ${p.flows} flows, ${p.concurrency} pipeline(s) at once, at most ${p.budgetMs / 1000} s`,
      );

    phaseLine('warm-up', WARMUP);
    const warmup = await runPhase(stack.url, token, WARMUP);

    // what DynamoDB Local (and this process) burn with no traffic at all, over one second
    const idle0 = { node: process.cpuUsage(), java: await descendantsCpuMs(), at: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleCpu = process.cpuUsage(idle0.node);
    const idleJava = await descendantsCpuMs();
    const idleSeconds = (performance.now() - idle0.at) / 1000;
    const idle = {
      nodeCores: round((idleCpu.user + idleCpu.system) / 1000 / 1000 / idleSeconds, 2),
      dynamoDbLocalCores:
        idle0.java !== undefined && idleJava !== undefined
          ? round((idleJava - idle0.java) / 1000 / idleSeconds, 2)
          : null,
    };

    phaseLine('sequential', SEQUENTIAL);
    const seqDynamo = newCallStats();
    const seqSteps = newCallStats();
    dynamo.current = seqDynamo;
    steps.current = seqSteps;
    const sequential = await runPhase(stack.url, token, SEQUENTIAL);
    dynamo.current = undefined;
    steps.current = undefined;

    phaseLine('concurrent', CONCURRENT);
    const concDynamo = newCallStats();
    dynamo.current = concDynamo;
    const concurrent = await runPhase(stack.url, token, CONCURRENT);
    dynamo.current = undefined;

    const anyId = [...warmup.results, ...sequential.results].find((r) => r.id)?.id;
    console.log('  DynamoDB Local on its own');
    const baseline = anyId ? await dynamoDbBaseline(stack, anyId) : undefined;

    // ---- figures ----
    const seqOk = ok(sequential);
    const concOk = ok(concurrent);
    const latency = summarize(seqOk.map((r) => r.ms));
    const seqHeld = seqOk.map((r) => ({ r, held: heldPolls(r, transitions) }));
    const withoutHeld = summarize(seqHeld.filter((x) => x.held.length === 0).map((x) => x.r.ms));
    const concHeld = concOk.filter((r) => heldPolls(r, transitions).length > 0);
    const heldTotal = [...warmup.results, ...sequential.results, ...concurrent.results].reduce(
      (n, r) => n + heldPolls(r, transitions).length,
      0,
    );
    const cutOffFlows = [...warmup.results, ...sequential.results, ...concurrent.results].filter(
      (r) => r.outcome === 'cut_off',
    );
    const cutOffHeld = cutOffFlows.filter((r) => {
      const reached = r.id ? transitions.get(r.id) : undefined;
      return reached?.has('issued') && r.ms - ((reached.get('issued') ?? 0) - r.startedAt) > HELD_POLL_MS;
    });
    const failedFlows = [...failed(warmup), ...failed(sequential), ...failed(concurrent)];

    const seqN = seqOk.length || 1;
    // calls per flow: the calls naming a completed flow's request, averaged over those flows
    const seqFlowCalls = forRequests(
      seqDynamo,
      seqOk.map((r) => r.id),
    );
    const concFlowCalls = forRequests(
      concDynamo,
      concOk.map((r) => r.id),
    );
    const unattributedCalls =
      sum(seqDynamo.counts.values()) -
      sum(forRequests(seqDynamo, seqDynamo.byRequest.keys()).counts.values());
    const dynamoCallsPerFlow = round(sum(seqFlowCalls.counts.values()) / seqN, 2);
    const dynamoMsPerFlow = round(sum(seqFlowCalls.ms.values()) / seqN, 1);
    const transactionsPerFlow = round((seqFlowCalls.counts.get('TransactWriteItemsCommand') ?? 0) / seqN, 2);
    const throughput = round(concOk.length / (concurrent.wallMs / 1000), 1);
    const concLatency = summarize(concOk.map((r) => r.ms));
    const stage = (from: string, to: string) =>
      summarize(
        seqOk.flatMap((r) => {
          const reached = r.id ? transitions.get(r.id) : undefined;
          const a = reached?.get(from);
          const b = reached?.get(to);
          return a !== undefined && b !== undefined ? [b - a] : [];
        }),
      );
    const approvedToIssued = stage('approved', 'issued');
    const polls = summarize(seqOk.map((r) => r.polls.length));
    const cpu = (run: PhaseRun, flows: number) => ({
      nodeMsPerFlow: round(run.nodeCpuMs / (flows || 1), 1),
      dynamoDbLocalMsPerFlow:
        run.dynamoDbLocalCpuMs === undefined ? null : round(run.dynamoDbLocalCpuMs / (flows || 1), 1),
      coresBusy: round((run.nodeCpuMs + (run.dynamoDbLocalCpuMs ?? 0)) / run.wallMs, 2),
      /** cores used meanwhile by other processes on the machine (another test run, say): figures are noisy when high */
      otherCoresBusy: run.otherCpuMs === undefined ? null : round(run.otherCpuMs / run.wallMs, 2),
      nodeEventLoopBusy: round(run.eventLoopUtilization, 2),
    });
    const seqCpu = cpu(sequential, seqOk.length);
    const concCpu = cpu(concurrent, concOk.length);

    const met = {
      sequentialFlows: seqOk.length >= TARGETS.sequentialFlows,
      p50: latency.p50 <= TARGETS.p50Ms,
      p99: latency.p99 <= TARGETS.p99Ms,
      throughput: throughput >= TARGETS.flowsPerSecond,
      dynamoCalls: dynamoCallsPerFlow <= TARGETS.dynamoCallsPerFlow,
      transactions: transactionsPerFlow <= TARGETS.transactionsPerFlow,
      noFailedFlows: failedFlows.length === 0,
    };

    // ---- report ----
    console.log(
      `\nIn process (the stack and this client in one process; load average ${loadAverage().join(' / ')}):`,
    );
    console.log(
      table([
        ['figure', 'measured', 'target', ''],
        [
          'sequential flows measured',
          `${seqOk.length} in ${round(sequential.wallMs / 1000)} s`,
          `≥ ${TARGETS.sequentialFlows}`,
          mark(met.sequentialFlows),
        ],
        ['latency p50, 1 pipeline', ms(latency.p50), `≤ ${TARGETS.p50Ms} ms`, mark(met.p50)],
        ['latency p95, 1 pipeline', ms(latency.p95), '', ''],
        ['latency p99, 1 pipeline', ms(latency.p99), `≤ ${TARGETS.p99Ms} ms`, mark(met.p99)],
        ['latency max, 1 pipeline', ms(latency.max), '', ''],
        [
          `throughput, ${CONCURRENT.concurrency} pipelines`,
          `${throughput} flows/s (${concOk.length} in ${round(concurrent.wallMs / 1000)} s)`,
          `≥ ${TARGETS.flowsPerSecond} flows/s`,
          mark(met.throughput),
        ],
        [
          'DynamoDB calls per flow',
          String(dynamoCallsPerFlow),
          `≤ ${TARGETS.dynamoCallsPerFlow}`,
          mark(met.dynamoCalls),
        ],
        [
          'DynamoDB transactions per flow',
          String(transactionsPerFlow),
          `≤ ${TARGETS.transactionsPerFlow}`,
          mark(met.transactions),
        ],
        [
          'failed flows',
          `${failedFlows.length} (cut off at a time limit: ${cutOffFlows.length})`,
          '0',
          mark(met.noFailedFlows),
        ],
      ]),
    );

    console.log(
      `\nDynamoDB calls per flow (sequential run: the calls naming each completed flow's request; ${unattributedCalls} other call(s)), by command:`,
    );
    console.log(
      table([
        ['command', 'calls/flow', 'ms/flow', 'ms/call'],
        ...Object.entries(perFlow(seqFlowCalls, seqOk.length)).map(([name, s]) => [
          name,
          String(s.callsPerFlow),
          String(s.msPerFlow),
          String(s.msPerCall),
        ]),
        ['total', String(dynamoCallsPerFlow), String(dynamoMsPerFlow), ''],
      ]),
    );

    console.log('\nWhere a sequential flow spends its time (ms):');
    console.log(
      table([
        ['part', 'p50', 'p99', 'note'],
        [
          'POST /requests',
          String(summarize(seqOk.map((r) => r.createMs)).p50),
          String(summarize(seqOk.map((r) => r.createMs)).p99),
          'client-side',
        ],
        [
          'GETs until issued',
          String(summarize(seqOk.map((r) => r.waitMs)).p50),
          String(summarize(seqOk.map((r) => r.waitMs)).p99),
          `${polls.mean} GETs per flow`,
        ],
        [
          'POST …/credentials',
          String(summarize(seqOk.map((r) => r.credentialsMs)).p50),
          String(summarize(seqOk.map((r) => r.credentialsMs)).p99),
          'client-side',
        ],
        [
          '  workflow: stored (approved at create) → issued',
          String(approvedToIssued.p50),
          String(approvedToIssued.p99),
          'IssueCredentials',
        ],
        ...Object.entries(perFlow(seqSteps, seqOk.length)).map(([name, s]) => [
          `  step ${name}`,
          `${s.msPerCall} (mean)`,
          '',
          `${s.callsPerFlow} per flow`,
        ]),
        ['DynamoDB, all calls', `${dynamoMsPerFlow} (mean)`, '', 'sum of call times per flow'],
        [
          'flows with no held long poll',
          String(withoutHeld.p50),
          String(withoutHeld.p99),
          `${withoutHeld.n} flows`,
        ],
      ]),
    );
    console.log(
      `\nHeld long polls: ${heldTotal} GET(s) answered > ${HELD_POLL_MS} ms after the store already had the status they returned` +
        ` (sequential: ${seqHeld.filter((x) => x.held.length > 0).length} of ${seqOk.length} flows;` +
        ` concurrent: ${concHeld.length} of ${concOk.length}; cut off while the request was already issued: ${cutOffHeld.length}).`,
    );
    for (const { r, held } of seqHeld.filter((x) => x.held.length > 0).slice(0, 3)) {
      const reached = [...(transitions.get(r.id ?? '') ?? [])]
        .map(([status, at]) => `${status}@${Math.round(at - r.startedAt)}`)
        .join(' ');
      const seen = r.polls
        .map((p) => `GET ${Math.round(p.sentAt)}→${Math.round(p.answeredAt)} ${p.status}`)
        .join(', ');
      console.log(
        `  e.g. ${r.id}: ${ms(r.ms)}; store: ${reached}; client: ${seen}; held ${ms(held[0]!.heldFor)}`,
      );
    }

    console.log(`\nCPU (ms per flow; cores busy of ${cores}):`);
    const cpuRow = (name: string, c: typeof seqCpu) => [
      name,
      String(c.nodeMsPerFlow),
      String(c.dynamoDbLocalMsPerFlow ?? '?'),
      String(c.coresBusy),
      `${Math.round(c.nodeEventLoopBusy * 100)}%`,
      String(c.otherCoresBusy ?? '?'),
    ];
    console.log(
      table([
        ['run', 'Node', 'DynamoDB Local', 'cores busy', 'Node event loop', 'other processes (cores)'],
        cpuRow('sequential', seqCpu),
        cpuRow(`concurrent (latency p50 ${ms(concLatency.p50)}, p99 ${ms(concLatency.p99)})`, concCpu),
      ]),
    );
    console.log(
      `  idle, no traffic, after the warm-up: Node ${idle.nodeCores} cores, DynamoDB Local ${idle.dynamoDbLocalCores ?? '?'} cores`,
    );
    // What DynamoDB Local alone allows for this flow's mix of calls, at the same concurrency
    const getsPerFlow = (seqFlowCalls.counts.get('GetItemCommand') ?? 0) / seqN;
    const writesPerFlow = (seqFlowCalls.counts.get('TransactWriteItemsCommand') ?? 0) / seqN;
    const ceiling = baseline
      ? round(
          1 / (getsPerFlow / baseline.getItemsPerSecond + writesPerFlow / baseline.transactWritesPerSecond),
          1,
        )
      : undefined;
    if (baseline) {
      console.log(
        `\nDynamoDB Local on its own (same client): GetItem p50 ${ms(baseline.getItem.p50)}` +
          ` (a missing key: ${ms(baseline.bareGetItem.p50)}), TransactWriteItems of 2 puts p50 ${ms(baseline.transactWrite.p50)};` +
          ` ${CONCURRENT.concurrency} at once: ${baseline.getItemsPerSecond} GetItems/s or ${baseline.transactWritesPerSecond} TransactWriteItems/s` +
          ` → at most ${ceiling} flows/s for ${round(getsPerFlow, 2)} GetItems + ${round(writesPerFlow, 2)} transactions per flow,` +
          ` before any HTTP, auth or workflow work.` +
          ` CPU per call (Node / DynamoDB Local): GetItem ${baseline.concurrentGetItem.nodeCpuMsPerCall} / ${baseline.concurrentGetItem.dynamoDbLocalCpuMsPerCall ?? '?'} ms,` +
          ` TransactWriteItems ${baseline.concurrentTransactWrite.nodeCpuMsPerCall} / ${baseline.concurrentTransactWrite.dynamoDbLocalCpuMsPerCall ?? '?'} ms`,
      );
    }
    if (failedFlows.length > 0) {
      const byError = new Map<string, number>();
      for (const f of failedFlows) byError.set(f.error ?? '?', (byError.get(f.error ?? '?') ?? 0) + 1);
      console.log(`\n${failedFlows.length} FAILED flow(s):`);
      for (const [error, n] of byError) console.log(`  ${n} × ${error}`);
    }

    const results = {
      date: new Date().toISOString(),
      command: 'npm run bench',
      machine: { cores, cpu: cpus()[0]?.model ?? '?', node: process.version },
      parameters: {
        warmup: WARMUP,
        sequential: SEQUENTIAL,
        concurrent: CONCURRENT,
        flowTimeoutMs: FLOW_TIMEOUT_MS,
      },
      outside,
      outsideTargets: OUTSIDE_TARGETS,
      startupMs: Math.round(startupMs),
      idleCores: idle,
      targets: TARGETS,
      met,
      sequential: {
        flows: seqOk.length,
        failed: failed(sequential).length,
        cutOff: cutOff(sequential).length,
        wallMs: Math.round(sequential.wallMs),
        latencyMs: latency,
        latencyWithoutHeldPollsMs: withoutHeld,
        phasesMs: {
          create: summarize(seqOk.map((r) => r.createMs)),
          getsUntilIssued: summarize(seqOk.map((r) => r.waitMs)),
          credentials: summarize(seqOk.map((r) => r.credentialsMs)),
          getsPerFlow: polls,
        },
        workflowMs: { approvedToIssued, steps: perFlow(seqSteps, seqOk.length) },
        dynamoDb: {
          callsPerFlow: dynamoCallsPerFlow,
          msPerFlow: dynamoMsPerFlow,
          byCommand: perFlow(seqFlowCalls, seqOk.length),
          callsNotNamingOneRequest: unattributedCalls,
        },
        cpu: seqCpu,
      },
      concurrent: {
        flows: concOk.length,
        failed: failed(concurrent).length,
        cutOff: cutOff(concurrent).length,
        wallMs: Math.round(concurrent.wallMs),
        flowsPerSecond: throughput,
        latencyMs: concLatency,
        dynamoDb: {
          callsPerFlow: round(sum(concFlowCalls.counts.values()) / (concOk.length || 1), 2),
          byCommand: perFlow(concFlowCalls, concOk.length),
        },
        cpu: concCpu,
      },
      heldLongPolls: {
        total: heldTotal,
        sequentialFlows: seqHeld.filter((x) => x.held.length > 0).length,
        concurrentFlows: concHeld.length,
        cutOffWhileIssued: cutOffHeld.length,
        examples: seqHeld
          .filter((x) => x.held.length > 0)
          .slice(0, 5)
          .map(({ r, held }) => ({
            id: r.id,
            ms: round(r.ms),
            store: Object.fromEntries(
              [...(transitions.get(r.id ?? '') ?? [])].map(([status, at]) => [
                status,
                round(at - r.startedAt),
              ]),
            ),
            polls: r.polls.map((p) => ({ ...p, sentAt: round(p.sentAt), answeredAt: round(p.answeredAt) })),
            held,
          })),
      },
      dynamoDbLocalBaseline: baseline ? { ...baseline, flowsPerSecondCeiling: ceiling } : undefined,
      failures: failedFlows.slice(0, 20).map((f) => ({ id: f.id, error: f.error })),
      totalMs: Math.round(performance.now() - benchStarted),
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${out}; ${round(results.totalMs / 1000)} s in all`);
    return failedFlows.length > 0 || outside.failed.length > 0 ? 1 : 0;
  } finally {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    clearTimeout(watchdog);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
