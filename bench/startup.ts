/**
 * `npm run bench`, start-up: how long `npm start` takes to answer GET /health, next to how
 * long DynamoDB Local alone takes to be ready, measured side by side in one run (the machine's
 * load changes both alike). Target: the local stack healthy within 1.5 × DynamoDB Local's own
 * start (docs/local-stack.md).
 *
 * Each round, in turn:
 * - DynamoDB Local alone, started as the local stack starts it (local/dynamodb-local.ts), timed
 *   from spawn until it answers ListTables;
 * - `npm start`'s command (`tsx local/main.ts`) as a separate process with a fresh temp data dir
 *   and PORT=0, timed from spawn until the first 200 from /health at the URL it prints.
 * Usage: tsx bench/startup.ts [--runs N]   (default 3)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';

const TARGET_RATIO = 1.5;
const START_TIMEOUT_MS = 120_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsxCli = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeDynamoDbLocal(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-ddb-'));
  try {
    const started = performance.now();
    const dynamo = await startDynamoDbLocal({ dataDir, readyTimeoutMs: START_TIMEOUT_MS });
    const elapsed = performance.now() - started;
    await dynamo.stop();
    return elapsed;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Resolves with the URL the local stack prints once it is up ("… is up at http://…"). */
function printedUrl(child: ChildProcess, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      output.text += chunk.toString();
      const match = /is up at (http:\/\/\S+)/.exec(output.text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${signal ?? code}) before it was up:\n${output.text}`));
    });
  });
}

async function timeLocalStack(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-start-'));
  const output = { text: '' };
  const started = performance.now();
  const child = spawn(process.execPath, [tsxCli, 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', JITVEND_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  try {
    const url = await printedUrl(child, output);
    for (;;) {
      const res = await fetch(`${url}/health`).catch(() => undefined);
      await res?.body?.cancel();
      if (res?.status === 200) return performance.now() - started;
      if (performance.now() - started > START_TIMEOUT_MS)
        throw new Error('/health did not answer 200 in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

const dynamoTimes: number[] = [];
const stackTimes: number[] = [];
for (let i = 1; i <= runs; i++) {
  const dynamo = await timeDynamoDbLocal();
  dynamoTimes.push(dynamo);
  const stack = await timeLocalStack();
  stackTimes.push(stack);
  console.log(
    `run ${i}/${runs}: DynamoDB Local alone ready in ${(dynamo / 1000).toFixed(2)} s; ` +
      `npm start healthy in ${(stack / 1000).toFixed(2)} s (${(stack / dynamo).toFixed(2)}×)`,
  );
}
const dynamo = median(dynamoTimes);
const stack = median(stackTimes);
const ratio = stack / dynamo;
console.log(
  `start-up (median of ${runs}): DynamoDB Local alone ${(dynamo / 1000).toFixed(2)} s, ` +
    `npm start to GET /health 200 ${(stack / 1000).toFixed(2)} s, ratio ${ratio.toFixed(2)} ` +
    `(target ≤ ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`,
);
