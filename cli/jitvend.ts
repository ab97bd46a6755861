/**
 * The `jitvend` executable (bundled by scripts/cli-bundle.mjs to dist/cli/jitvend.cjs, and to
 * action/dist/jitvend.cjs for the GitHub Action's renewing profile).
 * A credential_process cache hit is answered first, by a module that loads next to nothing
 * (cli/fast-path.ts). Everything else runs the whole CLI (cli/process-main.ts). In the bundle
 * the whole CLI is kept as gzipped text (JITVEND_FULL_CLI) and compiled only when needed:
 * Node would otherwise parse all of it on every call, and a hit would take twice as long.
 */
import { writeSync } from 'node:fs';
import { answerFromCache } from './fast-path.ts';

/** the whole CLI, CommonJS, gzipped and base64-encoded (a quarter of the text to read and scan) */
declare const JITVEND_FULL_CLI: string | undefined;
/** true in the CommonJS bundle (scripts/cli-bundle.mjs) */
declare const JITVEND_CJS: boolean | undefined;

interface FullCli {
  runProcess(): Promise<void>;
}

/** Only on a miss: node:zlib and node:module are not even loaded for a hit. */
async function compiled(packed: string): Promise<FullCli> {
  const [{ gunzipSync }, { createRequire }] = await Promise.all([import('node:zlib'), import('node:module')]);
  const source = gunzipSync(Buffer.from(packed, 'base64')).toString('utf8');
  const module = { exports: {} as FullCli };
  // the CommonJS bundle (the Action's) has its own require; the ES module one makes one
  const load = typeof JITVEND_CJS === 'boolean' && JITVEND_CJS ? require : createRequire(import.meta.url);
  // strict, as the ES modules it was bundled from always ran
  new Function('require', 'module', 'exports', `"use strict";${source}`)(load, module, module.exports);
  return module.exports;
}

/**
 * The text in a function of its own, called only on a miss: on a hit V8 only skims it
 * (a pre-parse), instead of compiling 200 KB into a string at every start.
 */
function packedCli(): string {
  return JITVEND_FULL_CLI as string;
}

async function run(): Promise<void> {
  // fd 1 written directly: process.stdout would load the stream machinery for one line
  try {
    if (answerFromCache(process.argv.slice(2), process.env, (text) => writeSync(1, text))) return;
  } catch {
    // the full CLI reports it
  }
  // the condition folds at build time: the bundle holds no second copy of the CLI
  const cli: FullCli =
    typeof JITVEND_FULL_CLI === 'string' ? await compiled(packedCli()) : await import('./process-main.ts');
  await cli.runProcess();
}

// no top-level await: the same entry is also bundled as CommonJS (scripts/cli-bundle.mjs)
run().catch((error: unknown) => {
  writeSync(2, `jitvend: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
