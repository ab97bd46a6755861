/**
 * GitHub runs the committed bundle (action.yml → action/dist), never the sources: it must be
 * exactly what `npm run build:action` makes of them. Rebuild to a temporary directory and
 * compare bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const committed = join(root, 'action', 'dist');
let fresh: string | undefined;

afterAll(async () => {
  if (fresh) await rm(fresh, { recursive: true, force: true });
});

describe('the committed action bundle', () => {
  it('is what npm run build:action makes of the sources (run it and commit action/dist if this fails)', async () => {
    fresh = await mkdtemp(join(tmpdir(), 'jitvend-action-build-'));
    await promisify(execFile)(
      process.execPath,
      [join(root, 'scripts', 'build-action.mjs'), '--outdir', fresh],
      {
        cwd: root,
      },
    );
    const names = (await readdir(fresh)).sort();
    expect((await readdir(committed)).sort()).toEqual(names);
    for (const name of names) {
      const [built, inRepo] = await Promise.all([
        readFile(join(fresh, name)),
        readFile(join(committed, name)),
      ]);
      expect(
        inRepo.equals(built),
        `action/dist/${name} is stale (it bundles action/src and the cli/ code it imports): run npm run build:action and commit action/dist`,
      ).toBe(true);
    }
  });

  it('is what action.yml runs, on node20, with the post step always', async () => {
    const manifest = parse(await readFile(join(root, 'action.yml'), 'utf8')) as {
      runs: Record<string, string>;
      inputs: Record<string, { required?: boolean; default?: string }>;
      outputs: Record<string, unknown>;
    };
    expect(manifest.runs).toEqual({
      using: 'node20',
      main: 'action/dist/main.mjs',
      post: 'action/dist/post.mjs',
      'post-if': 'always()',
    });
    expect(Object.keys(manifest.inputs)).toEqual([
      'api',
      'profile',
      'allow',
      'manifest',
      'duration',
      'window',
      'reason',
      'audience',
      'wait-timeout',
      'release',
    ]);
    expect(manifest.inputs.api?.required).toBe(true);
    expect(manifest.inputs.audience?.default).toBe('jitvend');
    expect(manifest.inputs.release?.default).toBe('true');
    expect(Object.keys(manifest.outputs)).toEqual([
      'request-id',
      'expiration',
      'config-file',
      'window-ends-at',
    ]);
  });
});
