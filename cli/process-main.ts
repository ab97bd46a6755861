/**
 * The CLI as a process: SIGINT/SIGTERM abort what is in flight (a request still waiting for
 * approval is cancelled, and the CLI exits 130); a second signal ends the process at once.
 * Loaded by cli/jitvend.ts only when the credential_process cache cannot answer alone.
 */
import { processIo } from './io.ts';
import { main } from './main.ts';

export async function runProcess(): Promise<void> {
  // `jitvend --help | head`: the reader went away; stop quietly, as Unix tools do (no stack trace)
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const interrupted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted.abort();
      process.once(signal, () => process.exit(130));
    });
  }
  process.exitCode = await main(process.argv.slice(2), processIo(interrupted.signal));
}
