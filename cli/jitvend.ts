/**
 * The `jitvend` executable (bundled to dist/cli/jitvend.mjs by scripts/cli-bundle.mjs).
 * A credential_process cache hit is answered first, by a module that loads next to nothing
 * (cli/fast-path.ts). Everything else runs the whole CLI (cli/process-main.ts). In the bundle
 * the whole CLI is kept as gzipped text (JITVEND_FULL_CLI) and compiled only when needed:
 * Node would otherwise parse all of it on every call, and a hit would take twice as long.
 */
import { writeSync } from 'node:fs';
import { answerFromCache } from './fast-path.ts';

/** the whole CLI, CommonJS, gzipped and base64-encoded (a quarter of the text to read and scan) */
declare const JITVEND_FULL_CLI: string | undefined;

interface FullCli {
  runProcess(): Promise<void>;
}

/** Only on a miss: node:zlib and node:module are not even loaded for a hit. */
async function compiled(packed: string): Promise<FullCli> {
  const [{ gunzipSync }, { createRequire }] = await Promise.all([import('node:zlib'), import('node:module')]);
  const source = gunzipSync(Buffer.from(packed, 'base64')).toString('utf8');
  const module = { exports: {} as FullCli };
  // strict, as the ES module it was bundled from always ran
  new Function('require', 'module', 'exports', `"use strict";${source}`)(
    createRequire(import.meta.url),
    module,
    module.exports,
  );
  return module.exports;
}

// fd 1 written directly: process.stdout would load the stream machinery for one line
let hit = false;
try {
  hit = answerFromCache(process.argv.slice(2), process.env, (text) => writeSync(1, text));
} catch {
  // the full CLI reports it
}
if (!hit) {
  const cli: FullCli =
    typeof JITVEND_FULL_CLI === 'string'
      ? await compiled(JITVEND_FULL_CLI)
      : await import('./process-main.ts');
  await cli.runProcess();
}
