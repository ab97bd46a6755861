#!/usr/bin/env node
// `npm start`: runs the local stack (local/main.ts) from a bundle of its sources,
// dist/local-stack.mjs, rebuilt here whenever any source it is made of changed.
//
// Why a bundle: loading ~150 TypeScript files through tsx's off-thread loader hooks costs about
// a second of CPU on 2 cores, all of it spent while DynamoDB Local's JVM boots beside it; the
// bundle (packages left external, resolved by Node as usual) loads in a fraction of that.
// Measured by `npm run bench:startup` (docs/local-stack.md, "Start-up").
//
// The bundle keeps one rule: it is never stale. Beside it, dist/local-stack.json lists the
// source files it was built from with a SHA-256 of their contents (and of esbuild's version
// and this script); a start whose hash differs rebuilds first (about 0.2 s). Files are written
// under temporary names and renamed, so concurrent starts never load a half-written file.
//
// Usage: node scripts/start.mjs            run the local stack (npm start)
//        node scripts/start.mjs --build    only bring the bundle up to date
//        node scripts/start.mjs --prepare  as the npm `prepare` script: no failure when esbuild
//                                          is absent (devDependencies omitted)
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The bundle sits one folder below the root, as every source sits one folder below it, so
// paths the sources derive from import.meta.url (the repository root) stay right.
const outdir = join(root, 'dist');
const entry = join(outdir, 'local-stack.mjs');
const manifestFile = join(outdir, 'local-stack.json');
/** Bump when the manifest's shape or the hash's recipe changes. */
const FORMAT = 1;

function inputsHash(inputs) {
  const hash = createHash('sha256');
  hash.update(`jitvend local stack bundle ${FORMAT}\n`);
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const input of inputs) {
    let content;
    try {
      content = readFileSync(join(root, input));
    } catch {
      content = '\u0000missing';
    }
    hash.update(`\nfile ${input} ${Buffer.byteLength(content)}\n`);
    hash.update(content);
  }
  return hash.digest('hex');
}

function isFresh() {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    return (
      manifest.format === FORMAT &&
      manifest.outputs.every((name) => statSync(join(outdir, name)).isFile()) &&
      inputsHash(manifest.inputs) === manifest.inputsHash
    );
  } catch {
    return false;
  }
}

function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

async function build() {
  const { build: esbuild, version } = await import('esbuild');
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: { 'local-stack': 'local/main.ts' },
    outdir,
    bundle: true,
    // main.ts spawns Java before importing the rest: the rest must stay a separate chunk
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'local-stack-[hash]',
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const inputs = [...Object.keys(result.metafile.inputs), 'package.json', 'tsconfig.json'].sort();
  const outputs = result.outputFiles.map((file) => basename(file.path));
  mkdirSync(outdir, { recursive: true });
  // chunks first, the entry last: a concurrent start that sees the new entry finds its chunks
  for (const file of result.outputFiles.sort((a, b) => Number(a.path === entry) - Number(b.path === entry))) {
    writeAtomically(file.path, file.contents);
  }
  const manifest = { format: FORMAT, esbuild: version, inputsHash: inputsHash(inputs), inputs, outputs };
  writeAtomically(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  // chunks of earlier builds go once they are an hour old (a stack started from one may still load it)
  const keep = new Set(outputs);
  for (const name of readdirSync(outdir)) {
    if (!/^local-stack-.+\.mjs(\.map)?$/.test(name) || keep.has(name)) continue;
    const file = join(outdir, name);
    if (Date.now() - statSync(file).mtimeMs > 3_600_000) unlinkSync(file);
  }
  return outputs.length;
}

const mode = process.argv[2];
if (mode !== undefined && mode !== '--build' && mode !== '--prepare') {
  console.error(`usage: node scripts/start.mjs [--build | --prepare] (got ${mode})`);
  process.exit(2);
}
if (!isFresh()) {
  try {
    const started = performance.now();
    const files = await build();
    if (mode) {
      console.error(
        `built dist/local-stack.mjs (${files} files in ${Math.round(performance.now() - started)} ms)`,
      );
    }
  } catch (error) {
    if (mode === '--prepare' && error?.code === 'ERR_MODULE_NOT_FOUND') {
      console.error(
        'jitvend: esbuild is not installed (devDependencies omitted): the local stack bundle was not built',
      );
      process.exit(0);
    }
    throw error;
  }
}
if (!mode) {
  // stack traces name the TypeScript sources (the bundle's linked source maps)
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
}
