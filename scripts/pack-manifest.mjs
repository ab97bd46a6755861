#!/usr/bin/env node
// The package that `npm pack` makes is the jitvend CLI alone: dist/cli/jitvend.cjs bundles
// everything it runs (commander, yaml, zod), so the tarball's package.json must list no
// dependencies; otherwise `npm install -g jitvend-x.y.z.tgz` would fetch the server's AWS
// SDKs from the registry for nothing (and fail offline).
//   strip   (prepack):  package.json → package.json.pack-backup; writes the CLI's manifest
//   restore (postpack): puts package.json back
// If a pack is killed between the two, `node scripts/pack-manifest.mjs restore` repairs it.
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const backup = join(root, 'package.json.pack-backup');
/** the fields an installed CLI needs; everything else (scripts, dependencies) stays in the repo */
const KEEP = ['name', 'version', 'description', 'license', 'type', 'private', 'engines', 'bin', 'files'];

const action = process.argv[2];
if (action === 'strip') {
  const text = await readFile(manifest, 'utf8');
  const full = JSON.parse(text);
  await writeFile(backup, text, { flag: 'wx' }).catch((error) => {
    if (error.code === 'EEXIST')
      throw new Error(
        'package.json.pack-backup exists: a pack was interrupted; run `node scripts/pack-manifest.mjs restore` first',
      );
    throw error;
  });
  const cli = Object.fromEntries(KEEP.filter((k) => k in full).map((k) => [k, full[k]]));
  await writeFile(manifest, `${JSON.stringify(cli, null, 2)}\n`);
} else if (action === 'restore') {
  await copyFile(backup, manifest);
  await rm(backup);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
