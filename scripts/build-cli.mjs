#!/usr/bin/env node
// Bundles the jitvend CLI into one executable ESM file: dist/cli/jitvend.mjs (package.json "bin").
// Usage: node scripts/build-cli.mjs [--outfile path]
import { chmod, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outfile: { type: 'string' } } });
const outfile = values.outfile ?? join(root, 'dist', 'cli', 'jitvend.mjs');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

await build({
  entryPoints: [join(root, 'cli', 'jitvend.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // commander is CommonJS and requires node: built-ins, which an ESM bundle can only do through createRequire
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __jitvendCreateRequire } from 'node:module';\nconst require = __jitvendCreateRequire(import.meta.url);",
  },
  define: { JITVEND_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
const { size } = await stat(outfile);
console.log(
  `built ${relative(process.cwd(), outfile)} (${(size / 1024).toFixed(1)} KiB, jitvend ${version})`,
);
