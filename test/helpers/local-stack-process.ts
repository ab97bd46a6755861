/**
 * Runs `npm start` (the local stack) in a child process, as a newcomer would, on a free
 * port and a data dir of the test's choosing; parses the URL it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface StackProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGINT to the process group, as Ctrl-C in a terminal would, and wait for the exit */
  stop(): Promise<void>;
}

export async function startStackProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<StackProcess> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', JITVEND_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`local stack did not start in 90 s:\n${output}`)),
      90_000,
    );
    const onData = () => {
      const match = /local stack is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with ${code} before starting:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGINT');
        } catch {
          // already gone
        }
      }
      await exited;
    },
  };
}
