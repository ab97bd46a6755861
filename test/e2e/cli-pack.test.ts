/**
 * `npm pack` makes a package whose `bin` runs after `npm install -g` of the tarball, offline:
 * the tarball is the bundled CLI alone, with no runtime dependencies to fetch. The pack runs
 * in a copy of the repository (its files as git sees them, node_modules linked), so the
 * worktree's package.json is never touched while other tests run. The installed `jitvend`
 * then previews a request against the local stack.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack } from '../helpers/in-process-stack.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ctx = useLocalStack();

/** The environment without npm's own variables (a run under `npm test` sets many). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'),
  );
  return { ...env, NO_UPDATE_NOTIFIER: '1', ...extra };
}

let work: string;
let installed: string;
let tarball: string;
let version: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'jitvend-pack-'));
  const copy = join(work, 'repo');
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await cp(join(ROOT, file), join(copy, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the worktree, not yet in git
    });
  }
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  version = (JSON.parse(await readFile(join(copy, 'package.json'), 'utf8')) as { version: string }).version;

  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: copy,
    env: cleanEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info!.filename);
  expect(info!.files.map((f) => f.path).sort()).toEqual([
    'README.md',
    'dist/cli/jitvend.cjs',
    'docs/cli.md',
    'docs/manifest.md',
    'package.json',
  ]);
  // the pack put the repository's package.json back
  expect(await readFile(join(copy, 'package.json'), 'utf8')).toBe(
    await readFile(join(ROOT, 'package.json'), 'utf8'),
  );

  installed = join(work, 'global');
  await run(
    'npm',
    ['install', '-g', '--prefix', installed, '--offline', '--no-audit', '--no-fund', tarball],
    { cwd: work, env: cleanEnv() },
  );
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack + npm install -g', () => {
  it('packs a package.json with no dependencies and no scripts: nothing to fetch at install', async () => {
    const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    const manifest = JSON.parse(stdout) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: 'jitvend', version, bin: { jitvend: 'dist/cli/jitvend.cjs' } });
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
  });

  it('installs a jitvend bin that runs: --version, --help', async () => {
    const bin = join(installed, 'bin', 'jitvend');
    const versionOut = await run(bin, ['--version'], { env: cleanEnv() });
    expect(versionOut.stdout.trim()).toBe(version);
    const help = await run(bin, ['--help'], { env: cleanEnv() });
    for (const command of ['request', 'preview', 'release', 'lint', 'status'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('previews a request against the local stack', async () => {
    const token = await ctx.stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/main',
      repository: 'acme/orders',
      ref: 'refs/heads/main',
    });
    const { stdout } = await run(
      join(installed, 'bin', 'jitvend'),
      [
        'preview',
        '--profile',
        'orders-it',
        '--allow',
        `dynamodb:GetItem=${TABLE}`,
        '--duration',
        '15m',
        '--format',
        'json',
      ],
      { env: cleanEnv({ JITVEND_API: ctx.stack.url, JITVEND_TOKEN: token }) },
    );
    const preview = JSON.parse(stdout) as Record<string, unknown>;
    expect(preview).toMatchObject({
      durationSeconds: 900,
      approval: { route: 'auto', rule: 0 },
      sessionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }],
      },
    });
  });
});
