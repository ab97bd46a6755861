/**
 * `npm run bench`, worst bodies: one caller sends the most expensive bodies it can build, back to
 * back, while another caller asks GET /health. The local stack runs as `npm start` does, in a
 * child process (its own event loop, as a deployment's would be), with the sample config plus
 * two profiles made for the worst case (guardrails `*` on `*`, and guardrails full of `?` runs).
 * Prints, per body: its size and answer, the preview's latency, and /health's latency meanwhile
 * (p50, p99, max). Target: every /health answered within a second (SPEC.md "Bounds").
 * Loopback only, bounded in time.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { startStackProcess } from '../test/helpers/local-stack-process.ts';

const SECONDS_PER_BODY = 4;
const HEALTH_EVERY_MS = 25;
const TARGET_HEALTH_MS = 1000;
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/';
const FIXTURES = 'arn:aws:s3:::acme-orders-it-fixtures/';
const CLAIMS = {
  sub: 'repo:acme/orders:ref:refs/heads/bench',
  repository: 'acme/orders',
  ref: 'refs/heads/bench',
};

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The sample config with two profiles built for the worst case. */
async function benchConfig(dir: string): Promise<string> {
  const config = parse(await readFile(join(repoRoot, 'jitvend.config.yaml'), 'utf8')) as {
    profiles: Record<string, Record<string, unknown>>;
  };
  const orders = config.profiles['orders-it']!;
  config.profiles['bench-broad'] = {
    ...orders,
    description: 'bench: guardrails * on *',
    allowEscalation: true,
    allow: [{ actions: ['*'], resources: ['*'] }],
  };
  config.profiles['bench-holes'] = {
    ...orders,
    description: 'bench: guardrails made of ? runs',
    allow: [
      {
        actions: ['s3:*'],
        resources: Array.from(
          { length: 30 },
          (_, i) => `arn:aws:s3:::*${'ab'[i % 2]}${'?'.repeat(10 + (i % 10))}*`,
        ),
      },
    ],
  };
  const path = join(dir, 'bench.config.yaml');
  await writeFile(path, stringify(config));
  return path;
}

/** Fill a list with `make(i)` until the permissions as written reach about `chars` characters. */
function fill(make: (i: number) => string, chars: number, max = 50): string[] {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; out.length < max; i++) {
    const item = make(i);
    if (used + item.length + 3 > chars) break;
    out.push(item);
    used += item.length + 3;
  }
  return out;
}

interface Body {
  name: string;
  body: string;
}

function bodies(): Body[] {
  const reason = 'bench: worst body';
  const req = (profile: string, permissions: unknown) => JSON.stringify({ profile, permissions, reason });
  const ddb = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'];
  return [
    {
      name: 'issue 8 shape: 5 perms x 3 actions x 50 resources',
      body: req(
        'orders-it',
        Array.from({ length: 5 }, (_, k) => ({
          actions: ddb,
          resources: Array.from({ length: 50 }, (_, i) => `${TABLE}orders-it-*${k}*${i}*`),
        })),
      ),
    },
    {
      name: 'orders: star chains *a*b*c* inside the guardrails',
      body: req('orders-it', [
        {
          actions: ddb,
          resources: fill((i) => `${TABLE}orders-it-*${'a*b*c*'.repeat(1 + (i % 5))}${i}`, 3900),
        },
      ]),
    },
    {
      name: 'orders: ? runs (exponential automata)',
      body: req('orders-it', [
        {
          actions: ['s3:GetObject', 's3:PutObject'],
          resources: fill((i) => `${FIXTURES}*${'ab'[i % 2]}${'?'.repeat(14 + (i % 8))}`, 3900),
        },
      ]),
    },
    {
      name: 'broad: 50 actions x 50 resources, all overlapping',
      body: req('bench-broad', [
        { actions: fill((i) => `a:${i}*`, 1900), resources: fill((i) => `arn:a:b:::${i}*`, 2000) },
      ]),
    },
    {
      name: 'broad: ? runs in minimising',
      body: req('bench-broad', [
        {
          actions: ['s3:GetObject'],
          resources: fill((i) => `arn:aws:s3:::*${'ab'[i % 2]}${'?'.repeat(12 + (i % 8))}`, 3900),
        },
      ]),
    },
    {
      name: 'holes: containment past the work bound',
      body: req('bench-holes', [
        {
          actions: ['s3:GetObject'],
          resources: Array.from(
            { length: 20 },
            (_, i) => `arn:aws:s3:::*${'ab'[i % 2]}${'?'.repeat(12 + (i % 10))}*`,
          ),
        },
      ]),
    },
    {
      name: '64 KiB of [ (deep nesting)',
      body: `${'['.repeat(32_768)}${']'.repeat(32_768)}`,
    },
  ];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timed(fn: () => Promise<Response>): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  return { ms: performance.now() - start, status: res.status };
}

/** /health latencies while `busy` runs (and the busy call's own figures). */
async function underLoad(url: string, token: string | undefined, body: string | undefined) {
  const until = Date.now() + SECONDS_PER_BODY * 1000;
  const health: number[] = [];
  const preview: number[] = [];
  const statuses = new Set<number>();
  const attacker = async () => {
    if (body === undefined) return;
    while (Date.now() < until) {
      const r = await timed(() =>
        fetch(`${url}/requests/preview`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        }),
      );
      preview.push(r.ms);
      statuses.add(r.status);
    }
  };
  const observer = async () => {
    while (Date.now() < until) {
      const r = await timed(() => fetch(`${url}/health`));
      if (r.status !== 200) throw new Error(`/health answered ${r.status}`);
      health.push(r.ms);
      await new Promise((resolve) => setTimeout(resolve, HEALTH_EVERY_MS));
    }
  };
  await Promise.all([attacker(), observer()]);
  health.sort((a, b) => a - b);
  preview.sort((a, b) => a - b);
  return { health, preview, statuses: [...statuses].sort() };
}

const f = (ms: number) => (Number.isNaN(ms) ? '-' : ms.toFixed(1));

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'jitvend-bench-worst-'));
  const configPath = await benchConfig(dir);
  const stack = await startStackProcess(join(dir, 'data'), {
    JITVEND_CONFIG: configPath,
    LOG_LEVEL: 'silent',
  });
  try {
    const tokenRes = await fetch(`${stack.url}/.local/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claims: CLAIMS }),
    });
    const { token } = (await tokenRes.json()) as { token: string };
    console.log(`\nworst bodies against the local stack (child process), ${SECONDS_PER_BODY} s each; ms`);
    const rows: string[][] = [
      [
        'body',
        'bytes',
        'answer',
        'preview p50',
        'preview max',
        'health n',
        'health p50',
        'health p99',
        'health max',
      ],
    ];
    const baseline = await underLoad(stack.url, undefined, undefined);
    rows.push([
      '(no attacker: /health alone)',
      '-',
      '-',
      '-',
      '-',
      String(baseline.health.length),
      f(percentile(baseline.health, 50)),
      f(percentile(baseline.health, 99)),
      f(baseline.health.at(-1)!),
    ]);
    let worstHealth = 0;
    for (const b of bodies()) {
      const r = await underLoad(stack.url, token, b.body);
      worstHealth = Math.max(worstHealth, r.health.at(-1) ?? 0);
      rows.push([
        b.name,
        String(Buffer.byteLength(b.body)),
        r.statuses.join('/'),
        f(percentile(r.preview, 50)),
        f(r.preview.at(-1) ?? Number.NaN),
        String(r.health.length),
        f(percentile(r.health, 50)),
        f(percentile(r.health, 99)),
        f(r.health.at(-1) ?? Number.NaN),
      ]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    for (const row of rows)
      console.log(
        row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
      );
    console.log(
      `\nslowest /health while an attacker ran: ${f(worstHealth)} ms (target: under ${TARGET_HEALTH_MS} ms) ${
        worstHealth < TARGET_HEALTH_MS ? 'OK' : 'OVER TARGET'
      }`,
    );
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
