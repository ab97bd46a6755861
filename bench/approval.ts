/**
 * `npm run bench`, part 2: from the approving click to credentials issued, on the local
 * stack. Each round creates a request that needs a human, waits until the workflow has
 * notified the approvers, then times a signed Slack click (POST /slack/interactions) until
 * the request is `issued` (seen through a long-polling GET, as the waiting pipeline sees it).
 * Target: p95 ≤ 200 ms. Loopback only, bounded in rounds and time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_SLACK_SIGNING_SECRET, type LocalStack, startLocalStack } from '../local/stack.ts';
import { signSlackRequest } from '../shared/adapters/slack/signature.ts';

const ROUNDS = 60;
const WARMUP = 5;
const BUDGET_MS = 90_000;
const TARGET_P95_MS = 200;
const CLAIMS = {
  sub: 'repo:acme/orders:ref:refs/heads/bench',
  repository: 'acme/orders',
  ref: 'refs/heads/bench',
  actor: 'carol',
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function round(stack: LocalStack, token: string): Promise<number> {
  const auth = { authorization: `Bearer ${token}` };
  const created = await json(
    await fetch(`${stack.url}/requests`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ profile: 'orders-it', reason: 'bench: approval click' }),
    }),
  );
  const id = String(created.id);
  // the approvers have been notified: alice's Slack message is in the outbox
  let responseUrl: string | undefined;
  for (let i = 0; i < 200 && !responseUrl; i++) {
    const message = stack.outbox
      .list()
      .find((m) => m.requestId === id && m.channel === 'slack' && m.to === 'U0ALICE01');
    responseUrl = message?.extra?.response_url as string | undefined;
    if (!responseUrl) await new Promise((r) => setTimeout(r, 10));
  }
  if (!responseUrl) throw new Error(`no Slack message for ${id}`);
  const body = new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0ALICE01' },
      response_url: responseUrl,
      actions: [{ type: 'button', action_id: 'jitvend_approve', value: id }],
    }),
  }).toString();
  const started = performance.now();
  const click = await fetch(`${stack.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(LOCAL_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), body),
    },
    body,
  });
  if (click.status !== 200) throw new Error(`click answered ${click.status}`);
  for (let i = 0; i < 5; i++) {
    const view = await json(await fetch(`${stack.url}/requests/${id}?waitSeconds=5`, { headers: auth }));
    if (view.status === 'issued') return performance.now() - started;
    if (view.status !== 'pending_approval' && view.status !== 'approved')
      throw new Error(`request became ${view.status}`);
  }
  throw new Error(`request ${id} not issued`);
}

async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-approval-'));
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    logLevel: 'warn',
    waitTimeOverrides: { WaitUntilExpiry: 600_000 },
  });
  const deadline = Date.now() + BUDGET_MS;
  try {
    const token = await stack.oidc.sign(CLAIMS);
    const times: number[] = [];
    let failed = 0;
    for (let i = 0; i < WARMUP + ROUNDS && Date.now() < deadline; i++) {
      try {
        const ms = await round(stack, token);
        if (i >= WARMUP) times.push(ms);
      } catch (error) {
        failed++;
        console.error(
          `bench approval: round ${i} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    const fmt = (n: number) => `${n.toFixed(1)} ms`;
    console.log('');
    console.log(
      'jitvend bench: approving click (signed Slack interaction) → credentials issued, local stack',
    );
    console.log(`  rounds ${times.length} (after ${WARMUP} warm-up), failed ${failed}`);
    console.log(
      `  p50 ${fmt(p50)}   p95 ${fmt(p95)}   max ${fmt(sorted.at(-1) ?? Number.NaN)}   target p95 ≤ ${TARGET_P95_MS} ms ${p95 <= TARGET_P95_MS ? '✓' : '✗'}`,
    );
    return failed > 0 ? 1 : 0;
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
