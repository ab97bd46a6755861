#!/usr/bin/env node
// Bundles the jitvend CLI into one executable CommonJS file: dist/cli/jitvend.cjs (package.json
// "bin"). CommonJS because Node starts a CommonJS file without its ES module loader: a
// credential_process cache hit is answered in about 1.2 × `node -e 0`, against 1.4 × for the
// same bundle as an ES module (bench/credential-process.ts).
// Every runtime dependency (commander, yaml, zod) is inside the bundle: the file runs with
// nothing but Node. `npm ci` runs it through the `prepare` script, so the CLI works right
// after install; `npm pack` runs it too, so the tarball's bin is always fresh.
// Usage: node scripts/build-cli.mjs [--outfile path] [--prepare]
//   --prepare: as the npm `prepare` script: one quiet line, and no failure when esbuild is
//   absent (an install with devDependencies omitted), since nothing can be built then.
import { chmod, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCli } from './cli-bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { outfile: { type: 'string' }, prepare: { type: 'boolean', default: false } },
});
const outfile = values.outfile ?? join(root, 'dist', 'cli', 'jitvend.cjs');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  if (!values.prepare) throw error;
  console.error('jitvend: esbuild is not installed (devDependencies omitted): the CLI bundle was not built');
  process.exit(0);
}

await bundleCli(esbuild, {
  root,
  outfile,
  version,
  banner: '#!/usr/bin/env node',
  format: 'cjs',
  legalComments: 'none',
});
await chmod(outfile, 0o755);
const { size } = await stat(outfile);
// stderr: `npm run --silent` callers (and `npm pack --json`) keep a clean stdout
console.error(
  `built ${relative(process.cwd(), outfile)} (${(size / 1024).toFixed(1)} KiB, jitvend ${version})`,
);
