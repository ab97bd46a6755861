/**
 * `npm run bench`, start-up: how long `npm start` takes to answer GET /health, next to how
 * long DynamoDB Local alone takes to be ready, measured side by side in one run (the machine's
 * load changes both alike). Target: the local stack healthy within 1.5 × DynamoDB Local's own
 * start (docs/local-stack.md).
 *
 * Each round, in turn:
 * - DynamoDB Local alone, started as the local stack starts it (local/dynamodb-local.ts), timed
 *   from spawn until it answers ListTables;
 * - `npm start`'s command (package.json's `scripts.start`, read here so the two cannot drift) as a
 *   separate process with a fresh temp data dir and PORT=0, timed from spawn until the first 200
 *   from /health at the URL it prints;
 * - `npm start` itself the same way, npm's own start-up included, printed beside it.
 * Usage: tsx bench/startup.ts [--runs N]   (default 3)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';

const TARGET_RATIO = 1.5;
const START_TIMEOUT_MS = 120_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const startCommand = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start;
const [startProgram, ...startArgs] = startCommand.split(/\s+/);
if (startProgram !== 'node') throw new Error(`scripts.start should run node, got: ${startCommand}`);

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

async function timeLocalStack(how: 'command' | 'npm'): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jitvend-bench-start-'));
  const output = { text: '' };
  const started = performance.now();
  const [program, args] = how === 'npm' ? ['npm', ['start', '--silent']] : [process.execPath, startArgs];
  const child = spawn(program, args, {
    cwd: root,
    env: { ...process.env, PORT: '0', JITVEND_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm's children are stopped with it
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
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

const dynamoTimes: number[] = [];
const stackTimes: number[] = [];
const npmTimes: number[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
for (let i = 1; i <= runs; i++) {
  const dynamo = await timeDynamoDbLocal();
  dynamoTimes.push(dynamo);
  const stack = await timeLocalStack('command');
  stackTimes.push(stack);
  const npm = await timeLocalStack('npm');
  npmTimes.push(npm);
  console.log(
    `run ${i}/${runs}: DynamoDB Local alone ready in ${seconds(dynamo)}; ` +
      `\`${startCommand}\` healthy in ${seconds(stack)} (${(stack / dynamo).toFixed(2)}×); ` +
      `through npm ${seconds(npm)} (${(npm / dynamo).toFixed(2)}×)`,
  );
}
const dynamo = median(dynamoTimes);
const stack = median(stackTimes);
const npm = median(npmTimes);
const ratio = stack / dynamo;
console.log(
  `start-up (median of ${runs}): DynamoDB Local alone ${seconds(dynamo)}, ` +
    `npm start's command to GET /health 200 ${seconds(stack)}, ratio ${ratio.toFixed(2)} ` +
    `(target ≤ ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
    `with npm's own start-up ${seconds(npm)} (${(npm / dynamo).toFixed(2)}×)`,
);
