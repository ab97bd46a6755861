/**
 * `npm start` runs the local stack from a bundle (scripts/start.mjs). The bundle must never be
 * stale: a start after any source changed rebuilds it first. Run on a copy of the sources, so
 * the test can change one without touching the repository.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
let copy: string;

async function build(): Promise<string> {
  const { stderr } = await run(process.execPath, [join(copy, 'scripts', 'start.mjs'), '--build'], {
    cwd: copy,
  });
  return stderr;
}

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'jitvend-start-bundle-'));
  for (const part of ['local', 'shared', 'functions', 'infra', 'scripts', 'package.json', 'tsconfig.json']) {
    await cp(join(repo, part), join(copy, part), { recursive: true });
  }
  await symlink(join(repo, 'node_modules'), join(copy, 'node_modules'));
}, 60_000);
afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

describe('the local stack bundle behind npm start', () => {
  it('is built when missing, then left alone while no source changes', async () => {
    expect(await build()).toMatch(/^built dist\/local-stack\.mjs \(\d+ files in \d+ ms\)/);
    const manifest = JSON.parse(await readFile(join(copy, 'dist', 'local-stack.json'), 'utf8'));
    expect(manifest.inputs).toContain('local/main.ts');
    expect(manifest.inputs).toContain('shared/domain/lifecycle.ts');
    expect(await build()).toBe('');
  });

  it('is rebuilt, with the change in it, after a source it is made of changes', async () => {
    await build();
    const main = join(copy, 'local', 'main.ts');
    await writeFile(
      main,
      (await readFile(main, 'utf8')).replace('local stack is up at', 'probe-4417 is up at'),
    );
    expect(await build()).toMatch(/^built /);
    const { outputs } = JSON.parse(await readFile(join(copy, 'dist', 'local-stack.json'), 'utf8'));
    const texts = await Promise.all(
      (outputs as string[])
        .filter((name) => name.endsWith('.mjs'))
        .map((name) => readFile(join(copy, 'dist', name), 'utf8')),
    );
    expect(texts.some((text) => text.includes('probe-4417 is up at'))).toBe(true);
  });

  it('is rebuilt when one of its files is gone', async () => {
    await build();
    const { outputs } = JSON.parse(await readFile(join(copy, 'dist', 'local-stack.json'), 'utf8'));
    await unlink(join(copy, 'dist', (outputs as string[]).find((name) => name !== 'local-stack.mjs')!));
    expect(await build()).toMatch(/^built /);
  });

  it('refuses an unknown option, naming it', async () => {
    await expect(
      run(process.execPath, [join(copy, 'scripts', 'start.mjs'), '--bulid']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('got --bulid'),
    });
  });
});
