#!/usr/bin/env node
// Bundles the GitHub Action (action.yml) into the committed files action/dist/main.mjs,
// action/dist/post.mjs and action/dist/jitvend.cjs (the CLI, for the renewing profile): GitHub runs them as they are, with no npm install. The output is a
// function of the sources alone (no absolute paths, no timestamps), so a test can rebuild
// to a temporary directory and compare bytes: test/unit/action-bundle.test.ts.
// Usage: node scripts/build-action.mjs [--outdir path]
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { bundleCli } from './cli-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = values.outdir ?? join(root, 'action', 'dist');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'action/src/run-main.ts', post: 'action/src/run-post.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  // action.yml runs it with `using: node20`
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  // CommonJS dependencies (commander, tunnel) require node: built-ins, which ESM can only do through createRequire
  banner: {
    js: "import { createRequire as __jitvendCreateRequire } from 'node:module';\nconst require = __jitvendCreateRequire(import.meta.url);",
  },
  define: { JITVEND_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
// jitvend.cjs: the CLI, run by the renewing profile's credential_process (action/src/config-profile.ts)
await bundleCli(esbuild, {
  root,
  outfile: join(outdir, 'jitvend.cjs'),
  version,
  banner: '',
  format: 'cjs',
  legalComments: 'eof',
});
for (const name of ['main.mjs', 'post.mjs', 'jitvend.cjs']) {
  const { size } = await stat(join(outdir, name));
  console.log(`built ${relative(process.cwd(), join(outdir, name))} (${(size / 1024).toFixed(1)} KiB)`);
}
