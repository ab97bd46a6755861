/**
 * The `jitvend` executable (bundled to dist/cli/jitvend.mjs by scripts/build-cli.mjs).
 * SIGINT/SIGTERM abort what is in flight: a request still waiting for approval is
 * cancelled, and the CLI exits 130. A second signal ends the process at once.
 */
import { processIo } from './io.ts';
import { main } from './main.ts';

const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted.abort();
    process.once(signal, () => process.exit(130));
  });
}

process.exitCode = await main(process.argv.slice(2), processIo(interrupted.signal));
