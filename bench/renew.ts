/**
 * `npm run bench:renew` (part of `npm run bench`): the latency of `POST /requests/{id}/renew`
 * measured from outside, as bench/run.ts measures the flow: `npm start` in its own process,
 * this process only the client over loopback HTTP.
 *
 * A request may be renewed at most once a minute after its delivery (SPEC.md: `429` within a
 * minute of the last delivery or renewal), so the bench first makes RENEWALS requests with a
 * window (auto-approved: read-only on main), fetches each one's credentials, waits until a
 * minute has passed since the last delivery, then renews each once, one at a time, timing each
 * call from the request sent to the whole answer read. Prints p50/p95/p99/max; exit 1 when a
 * renewal failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RENEW_INTERVAL_MS } from '../shared/domain/window.ts';
import { startStackProcess } from '../test/helpers/local-stack-process.ts';

const RENEWALS = Number(process.env.BENCH_RENEWALS ?? 100);
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const CLAIMS = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
};

const round = (n: number) => Math.round(n * 10) / 10;
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-renew-'));
  const stack = await startStackProcess(dataDir);
  try {
    const call = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const { token } = (await call('POST', '/.local/oidc/token', undefined, { claims: CLAIMS })).body as {
      token: string;
    };
    console.log(`jitvend bench, renewals from outside: \`npm start\` up at ${stack.url}`);

    // requests with a window, issued and delivered
    const ids: string[] = [];
    for (let i = 0; i < RENEWALS; i++) {
      const created = await call('POST', '/requests', token, {
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
        durationSeconds: 900,
        windowSeconds: 3600,
        reason: 'renewal bench',
      });
      if (created.status !== 201) throw new Error(`create answered ${created.status}`);
      const id = created.body.id as string;
      let status = created.body.status;
      for (let polls = 0; status !== 'issued' && polls < 10; polls++)
        status = (await call('GET', `/requests/${id}?waitSeconds=20`, token)).body.status;
      if (status !== 'issued') throw new Error(`request ${id} is ${String(status)}, not issued`);
      const delivered = await call('POST', `/requests/${id}/credentials`, token);
      if (delivered.status !== 200) throw new Error(`credentials answered ${delivered.status}`);
      ids.push(id);
    }
    const lastDelivery = performance.now();
    const waitMs = RENEW_INTERVAL_MS + 1_000;
    console.log(
      `${ids.length} requests issued and delivered; waiting ${waitMs / 1000} s (one renewal a minute)`,
    );
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, lastDelivery + waitMs - performance.now())),
    );

    const load = { before: loadavg().map((n) => round(n)), after: [] as number[] };
    const times: number[] = [];
    const failures: string[] = [];
    for (const id of ids) {
      const started = performance.now();
      const renewed = await call('POST', `/requests/${id}/renew`, token);
      const ms = performance.now() - started;
      if (renewed.status === 200 && typeof renewed.body.sessionToken === 'string') times.push(ms);
      else failures.push(`${renewed.status} ${String(renewed.body.detail ?? '')}`);
    }
    load.after = loadavg().map((n) => round(n));
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = round(percentile(sorted, 50));
    console.log(
      `\nRenewal latency from outside (\`npm start\` in its own process; ${times.length} renewals one at a time; load average ${load.before.join(' / ')} before, ${load.after.join(' / ')} after, on ${cpus().length} cores):`,
    );
    console.log(`| figure                   | measured |`);
    console.log(`| ------------------------ | -------- |`);
    console.log(`| renew p50                | ${p50} ms |`);
    console.log(
      `| renew p95 / p99 / max    | ${round(percentile(sorted, 95))} / ${round(percentile(sorted, 99))} / ${round(sorted.at(-1) ?? Number.NaN)} ms |`,
    );
    console.log(`| failed renewals          | ${failures.length} |`);
    for (const failure of new Set(failures)) console.log(`  failed: ${failure}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
