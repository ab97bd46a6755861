/**
 * `npm run bench`, credential_process: what an AWS SDK waits for each time it calls
 * `jitvend request ... --format credential-process` and the cache answers (a hit), next to
 * `node -e 0` (Node starting and doing nothing), run in turn so the machine's load weighs on
 * both alike. Target: a hit within 1.3 × `node -e 0` (docs/cli.md).
 *
 * The hit runs the built CLIs (dist/cli/jitvend.cjs, the npm bin, which `npm ci` builds; and
 * action/dist/jitvend.cjs, committed, which the GitHub Action's renewing profile runs) against a cache seeded
 * with a session valid for an hour, and an API URL where nothing listens: a hit calls nothing,
 * so any API call would fail the run.
 * Usage: tsx bench/credential-process.ts [--runs N]   (default 30)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { cacheKey, writeCachedCredentials } from '../cli/cache.ts';

const TARGET_RATIO = 1.3;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'jitvend.cjs');
const actionCli = join(root, 'action', 'dist', 'jitvend.cjs');
const API = 'http://127.0.0.1:9';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 3) throw new Error(`--runs must be an integer ≥ 3, got ${values.runs}`);
if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build:cli`);
if (!existsSync(actionCli)) throw new Error(`${actionCli} is missing: run npm run build:action`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, args, { env });
  return { ms: performance.now() - started, stdout };
}

const home = await mkdtemp(join(tmpdir(), 'jitvend-bench-cp-'));
try {
  const permissions = [
    {
      actions: ['dynamodb:GetItem'],
      resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users'],
    },
  ];
  await writeCachedCredentials(
    join(home, 'jitvend'),
    cacheKey({ api: API, profile: 'orders-it', permissions, durationSeconds: 3600, windowSeconds: 14_400 }),
    {
      requestId: 'bench-request',
      credentials: {
        accessKeyId: 'ASIABENCHEXAMPLE',
        secretAccessKey: 'bench-secret',
        sessionToken: 'bench-session-token',
        expiration: new Date(Date.now() + 3_600_000).toISOString(),
      },
      windowEndsAt: new Date(Date.now() + 14_400_000).toISOString(),
    },
  );
  const hitArgs = [
    '--api',
    API,
    'request',
    '--profile',
    'orders-it',
    '--allow',
    `dynamodb:GetItem=${permissions[0]!.resources[0]}`,
    '--duration',
    '1h',
    '--window',
    '4h',
    '--reason',
    'bench',
    '--format',
    'credential-process',
  ];
  const env = { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: home };
  // the floor of any ESM executable (the bin is .mjs): Node starting its ES module loader, then nothing
  const emptyModule = join(home, 'empty.mjs');
  await writeFile(emptyModule, '');
  for (const bundle of [cli, actionCli]) {
    const first = await timed([bundle, ...hitArgs], env);
    if (!first.stdout.includes('ASIABENCHEXAMPLE'))
      throw new Error(`${bundle}: not a cache hit: ${first.stdout}`);
  }
  await timed(['-e', '0'], env);

  const hit: number[] = [];
  const actionHit: number[] = [];
  const bare: number[] = [];
  const esm: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push((await timed(['-e', '0'], env)).ms);
    esm.push((await timed([emptyModule], env)).ms);
    hit.push((await timed([cli, ...hitArgs], env)).ms);
    actionHit.push((await timed([actionCli, ...hitArgs], env)).ms);
  }
  const ratio = (values: number[]) => median(values) / median(bare);
  const row = (name: string, values: number[]) =>
    console.log(`  ${name.padEnd(52)} median ${median(values).toFixed(1)} ms  ${ratio(values).toFixed(2)} ×`);
  console.log(`credential_process cache hit against node -e 0 (${runs} runs each, in turn)`);
  row('node -e 0', bare);
  row('node empty.mjs (the floor of any ES module bin)', esm);
  row('dist/cli/jitvend.cjs (npm bin, CommonJS)', hit);
  row("action/dist/jitvend.cjs (the Action's profile, CommonJS)", actionHit);
  const verdict = (values: number[]) => (ratio(values) <= TARGET_RATIO ? 'met' : 'NOT met');
  console.log(
    `  target ≤ ${TARGET_RATIO} ×: ${verdict(hit)} by the npm bin, ${verdict(actionHit)} by the Action's bundle`,
  );
} finally {
  await rm(home, { recursive: true, force: true });
}
