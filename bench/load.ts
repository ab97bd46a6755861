/**
 * `npm run bench:load` (not in `npm test`): the local stack under load. Starts `npm start`
 * as a separate process with a temp data dir, then plays from here PIPELINES concurrent
 * pipelines making REQUESTS requests in all, auto-approved (read-only from main) and
 * human-approved (a write, from a branch) mixed, while a scripted approver decides the
 * pending ones through the API (a people-issuer token) and by signed Slack clicks. Each
 * request goes create → issued → credentials → released (terminal). Loopback only,
 * bounded in count and time.
 *
 * Asserts: every request terminal, none lost, no 5xx. Prints the throughput, p50/p99 of
 * the API calls and of a request end to end, and the stack's peak memory (RSS of its node
 * process and of DynamoDB Local's java, sampled from /proc).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_SLACK_SIGNING_SECRET } from '../local/stack.ts';
import { signSlackRequest } from '../shared/adapters/slack/signature.ts';
import { commandOf, dynamoDbLocalPids, groupPids, rssBytes } from '../test/helpers/processes.ts';

const PIPELINES = Number(process.env.LOAD_PIPELINES ?? 200);
const REQUESTS = Number(process.env.LOAD_REQUESTS ?? 1000);
/** one request in HUMAN_EVERY waits for a person */
const HUMAN_EVERY = 3;
const BUDGET_MS = Number(process.env.LOAD_BUDGET_MS ?? 15 * 60_000);
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-load';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const calls: number[] = [];
const endToEnd = { auto: [] as number[], human: [] as number[] };
const statuses = new Map<number, number>();
let fiveXx = 0;
const releaseRefused: string[] = [];
const pipelineErrors: string[] = [];
let url = '';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function call(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // long polls are held on purpose: not API latency
  if (!path.includes('waitSeconds')) calls.push(performance.now() - started);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  if (res.status >= 500) {
    fiveXx++;
    console.error(`5xx: ${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function startStack(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', JITVEND_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const started = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the stack did not start in 120 s:\n${output}`)),
      120_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      const match = /local stack is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the stack exited with ${code}:\n${output}`)));
  });
  return { child, url: started };
}

/** Samples the stack's memory every 250 ms: the largest node process of its group, and java. */
function memorySampler(pgid: number, dataDir: string) {
  const peak = { node: 0, java: 0 };
  const timer = setInterval(() => {
    for (const pid of groupPids(pgid)) {
      if (/local\/main\.ts/.test(commandOf(pid))) peak.node = Math.max(peak.node, rssBytes(pid));
    }
    for (const pid of dynamoDbLocalPids(dataDir)) peak.java = Math.max(peak.java, rssBytes(pid));
  }, 250);
  return { peak, stop: () => clearInterval(timer) };
}

async function waitForStatus(id: string, token: string, wanted: string, deadline: number) {
  while (Date.now() < deadline) {
    const view = await call('GET', `/requests/${id}?waitSeconds=20`, token);
    if (view.body.status === wanted) return;
    if (view.status !== 200 || !['pending_approval', 'approved'].includes(String(view.body.status))) {
      throw new Error(`request ${id} is ${String(view.body.status)} (HTTP ${view.status}), not ${wanted}`);
    }
  }
  throw new Error(`request ${id} did not become ${wanted} in time`);
}

async function pipeline(index: number, count: number, created: string[], deadline: number) {
  const sign = async (claims: Record<string, unknown>) =>
    String((await call('POST', '/.local/oidc/token', undefined, { claims })).body.token);
  const main = await sign({
    sub: `repo:acme/orders:ref:refs/heads/main:load-${index}`,
    repository: 'acme/orders',
    ref: 'refs/heads/main',
  });
  const branch = await sign({
    sub: `repo:acme/orders:ref:refs/heads/load-${index}`,
    repository: 'acme/orders',
    ref: `refs/heads/load-${index}`,
  });
  for (let i = 0; i < count; i++) {
    const human = (index * 7 + i) % HUMAN_EVERY === 0;
    const token = human ? branch : main;
    const started = performance.now();
    try {
      const res = await call('POST', '/requests', token, {
        profile: 'orders-it',
        permissions: [{ actions: [human ? 'dynamodb:PutItem' : 'dynamodb:GetItem'], resources: [TABLE] }],
        reason: `load pipeline ${index} request ${i}`,
      });
      if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      const id = String(res.body.id);
      created.push(id);
      await waitForStatus(id, token, 'issued', deadline);
      const creds = await call('POST', `/requests/${id}/credentials`, token);
      if (creds.status !== 200) throw new Error(`credentials of ${id}: HTTP ${creds.status}`);
      const released = await call('POST', `/requests/${id}/release`, token);
      if (released.status === 409 && /cannot hold another revocation/i.test(String(released.body.detail))) {
        // the role's deny list is full (RevocationLimitError): the request stays issued
        releaseRefused.push(String(released.body.detail));
      } else if (released.status !== 200) {
        throw new Error(`release of ${id}: HTTP ${released.status} ${JSON.stringify(released.body)}`);
      }
      (human ? endToEnd.human : endToEnd.auto).push(performance.now() - started);
    } catch (error) {
      pipelineErrors.push(String(error));
    }
  }
}

/** The scripted approver: alice through the API, bob by signed Slack clicks, until told to stop. */
async function approver(stop: { done: boolean }, decided: Set<string>) {
  const alice = String(
    (
      await call('POST', '/.local/oidc/token', undefined, {
        claims: { sub: 'user:alice', email: 'alice@example.com' },
      })
    ).body.token,
  );
  let turn = 0;
  while (!stop.done) {
    const page = await call('GET', '/requests?status=pending_approval&limit=100', alice).catch(() => ({
      status: 0,
      body: {} as Record<string, unknown>,
    }));
    const pending = ((page.body.items ?? []) as Array<{ id: string }>).filter((r) => !decided.has(r.id));
    await Promise.all(
      pending.map(async ({ id }) => {
        decided.add(id);
        if (turn++ % 2 === 0) {
          await call('POST', `/requests/${id}/decision`, alice, { decision: 'approve' });
          return;
        }
        const body = new URLSearchParams({
          payload: JSON.stringify({
            type: 'block_actions',
            user: { id: 'U0BOB0001' },
            response_url: `${url}/.local/slack/response?to=U0BOB0001&requestId=${id}`,
            actions: [{ action_id: 'jitvend_approve', value: id }],
          }),
        }).toString();
        const started = performance.now();
        const res = await fetch(`${url}/slack/interactions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...signSlackRequest(LOCAL_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), body),
          },
          body,
        });
        await res.text();
        calls.push(performance.now() - started);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) fiveXx++;
      }),
    );
    if (pending.length === 0) await new Promise((r) => setTimeout(r, 200));
  }
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-load-'));
  const { child, url: stackUrl } = await startStack(dataDir);
  url = stackUrl;
  const memory = memorySampler(child.pid!, dataDir);
  const failures: string[] = [];
  const created: string[] = [];
  let elapsed = 0;
  try {
    const deadline = Date.now() + BUDGET_MS;
    const stop = { done: false };
    const approving = approver(stop, new Set());
    const started = performance.now();
    const perPipeline = Array.from(
      { length: PIPELINES },
      (_, i) => Math.floor(REQUESTS / PIPELINES) + (i < REQUESTS % PIPELINES ? 1 : 0),
    );
    const results = await Promise.allSettled(perPipeline.map((n, i) => pipeline(i, n, created, deadline)));
    elapsed = performance.now() - started;
    stop.done = true;
    await approving;
    for (const r of results) if (r.status === 'rejected') failures.push(String(r.reason));

    // every request created is found again, terminal (read by an approver of the profile)
    const alice = String(
      (
        await call('POST', '/.local/oidc/token', undefined, {
          claims: { sub: 'user:alice', email: 'alice@example.com' },
        })
      ).body.token,
    );
    const views: Array<{ status: number; body: Record<string, unknown> }> = [];
    for (let i = 0; i < created.length; i += 50) {
      views.push(
        ...(await Promise.all(created.slice(i, i + 50).map((id) => call('GET', `/requests/${id}`, alice)))),
      );
    }
    const notTerminal = views.filter((v) => v.body.status !== 'released');
    const stuck = notTerminal.filter(
      (v) => !(v.body.status === 'issued' && v.body.credentialsDelivered === true),
    );
    const lost = REQUESTS - created.length + views.filter((v) => v.status !== 200).length;
    const total = endToEnd.auto.length + endToEnd.human.length;
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    console.log(
      [
        `jitvend load: ${PIPELINES} concurrent pipelines, ${REQUESTS} requests (${endToEnd.auto.length} auto-approved, ${endToEnd.human.length} approved by people: API and Slack)`,
        `  completed ${total} requests (create → issued → credentials → released) in ${(elapsed / 1000).toFixed(1)} s: ${(total / (elapsed / 1000)).toFixed(1)} requests/s`,
        `  API calls: ${calls.length}, p50 ${ms(percentile(calls, 50))}, p99 ${ms(percentile(calls, 99))} (long polls excluded)`,
        `  end to end, auto-approved: p50 ${ms(percentile(endToEnd.auto, 50))}, p99 ${ms(percentile(endToEnd.auto, 99))}`,
        `  end to end, human-approved: p50 ${ms(percentile(endToEnd.human, 50))}, p99 ${ms(percentile(endToEnd.human, 99))}`,
        `  statuses: ${[...statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
        `  peak RSS: node ${mb(memory.peak.node)}, java (DynamoDB Local) ${mb(memory.peak.java)}`,
        `  terminal (released): ${created.length - notTerminal.length}/${created.length}; issued and delivered but release refused by the role's deny-list capacity: ${releaseRefused.length}; neither: ${stuck.length}; lost: ${lost}; 5xx: ${fiveXx}`,
        ...(releaseRefused[0] ? [`  release refusal: ${releaseRefused[0]}`] : []),
        ...(pipelineErrors.length > 0
          ? [`  pipeline errors: ${pipelineErrors.length}, first: ${pipelineErrors[0]}`]
          : []),
      ].join('\n'),
    );
    if (notTerminal.length > 0) failures.push(`${notTerminal.length} requests not terminal`);
    failures.push(...pipelineErrors);
    if (lost > 0) failures.push(`${lost} requests lost`);
    if (fiveXx > 0) failures.push(`${fiveXx} answers were 5xx`);
  } finally {
    memory.stop();
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      // already gone
    }
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`FAILED:\n${[...new Set(failures)].slice(0, 10).join('\n')}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
