import { homedir } from 'node:os';

/** Where the CLI writes: a stream with `write`, and whether it is a terminal. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/**
 * Everything the CLI takes from its surroundings. `main(argv, io)` only touches the world
 * through this, so tests run it in-process with a fake environment and captured output.
 */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: OutputStream;
  stderr: OutputStream;
  fetch: typeof fetch;
  /** the clock, in epoch milliseconds */
  now: () => number;
  /** waits between retries; tests pass a no-op */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** home directory, for the default cache location */
  homeDir: string;
  /** aborted on SIGINT/SIGTERM: a waiting request is cancelled and the CLI exits 130 */
  signal?: AbortSignal;
  /** the working directory, where `.jitvend.yml` is looked up (default: the process's) */
  cwd?: string;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real process: its env, its streams, global fetch, the wall clock. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    fetch: globalThis.fetch,
    now: () => Date.now(),
    sleep,
    homeDir: homedir(),
    signal,
    cwd: process.cwd(),
  };
}
