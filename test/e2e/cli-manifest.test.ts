// biome-ignore-all lint/suspicious/noTemplateCurlyInString: manifests hold ${VAR} on purpose
/**
 * The CLI (in process, its real HTTP client) against the local stack (in process) with a
 * repository manifest: `jitvend lint` as a pull-request check (creates nothing; a refusal
 * exits non-zero with the server's reason), `jitvend request` read from `.jitvend.yml` in
 * the working directory, and `jitvend release` at the end of the job.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { api, useLocalStack } from '../helpers/in-process-stack.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const MAIN = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
};
const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });

let dir: string;
let token: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jitvend-manifest-e2e-'));
  token = await ctx.stack.oidc.sign(MAIN);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes a manifest in a fresh directory (the job's checkout) and returns the directory. */
async function checkout(name: string, manifest: string): Promise<string> {
  const cwd = join(dir, name);
  await mkdir(cwd);
  await writeFile(join(cwd, '.jitvend.yml'), manifest);
  return cwd;
}

async function jitvend(argv: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { JITVEND_API: ctx.stack.url, JITVEND_TOKEN: token, XDG_CACHE_HOME: dir, ...env },
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    fetch: globalThis.fetch,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200))),
    homeDir: dir,
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function requestCount(): Promise<number> {
  const listed = await api(ctx.stack, 'GET', '/requests', token);
  expect(listed.status).toBe(200);
  return (listed.body.items as unknown[]).length;
}

const GOOD = [
  'profile: orders-it',
  'permissions:',
  '  - actions: [dynamodb:GetItem, dynamodb:Query]',
  '    resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${SUFFIX:-users}"]',
  'duration: 15m',
  'reason: integration tests of ${REPO}',
].join('\n');

describe('jitvend lint', () => {
  it('a manifest the server would take: exit 0, the policy shown, nothing created', async () => {
    const cwd = await checkout('good', GOOD);
    const { code, stdout, stderr } = await jitvend(['lint'], cwd, { REPO: 'acme/orders' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('.jitvend.yml: ok: the server would take it (profile orders-it)');
    expect(stdout).toContain('approval  auto-approved (rule 0)');
    expect(stdout).toContain(TABLE);
    expect(await requestCount()).toBe(0);
  });

  it('a permission outside the guardrails: exit 3 with the server reason, nothing created', async () => {
    const cwd = await checkout(
      'outside',
      GOOD.replace('dynamodb:GetItem, dynamodb:Query', 'dynamodb:DeleteItem'),
    );
    const { code, stdout, stderr } = await jitvend(['lint'], cwd, { REPO: 'acme/orders' });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^jitvend: \.jitvend\.yml: refused by http:\/\/127\.0\.0\.1:\d+: HTTP 403 /);
    expect(stderr).toContain('dynamodb:DeleteItem');
    expect(await requestCount()).toBe(0);
  });

  it('an unknown profile: exit 3 with the 404', async () => {
    const cwd = await checkout('unknown', GOOD.replace('profile: orders-it', 'profile: nope-it'));
    const { code, stderr } = await jitvend(['lint'], cwd, { REPO: 'acme/orders' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/HTTP 404 .*nope-it/);
  });

  it('an invalid manifest: exit 8 with file, line and field; the server is not asked', async () => {
    const cwd = await checkout('invalid', GOOD);
    // REPO is not set: the manifest cannot be read
    const { code, stderr } = await jitvend(['lint'], cwd, { JITVEND_API: 'http://127.0.0.1:1' });
    expect(code).toBe(8);
    expect(stderr).toBe(
      'jitvend: .jitvend.yml:6: reason: environment variable REPO is not set (give a default with ${REPO:-default})\n',
    );
  });

  it('no manifest: exit 8 naming what it looked for', async () => {
    const cwd = join(dir, 'empty');
    await mkdir(cwd);
    const { code, stderr } = await jitvend(['lint'], cwd);
    expect(code).toBe(8);
    expect(stderr).toContain(`no .jitvend.yml in ${cwd} (give --manifest PATH)`);
  });

  it('a window is sent as windowSeconds and judged by the server (orders-it allows 4 hours)', async () => {
    const cwd = await checkout('window', `${GOOD}\nwindow: 2h\n`);
    const fits = await jitvend(['lint', '--format', 'json'], cwd, { REPO: 'acme/orders' });
    expect(fits.code, fits.stderr).toBe(0);
    expect(fits.stderr).not.toContain('warning');
    const longer = await checkout('window-5h', `${GOOD}\nwindow: 5h\n`);
    const tooLong = await jitvend(['lint', '--format', 'json'], longer, { REPO: 'acme/orders' });
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toContain('windowSeconds');
    expect(tooLong.stderr).not.toContain('does not accept windowSeconds');
  });
});

describe('jitvend request from .jitvend.yml, then jitvend release', () => {
  it('requests what the manifest says (flags override), and release ends it', async () => {
    const cwd = await checkout('job', GOOD);
    const before = await requestCount();
    const requested = await jitvend(['request', '--duration', '20m', '--wait', '--format', 'json'], cwd, {
      REPO: 'acme/orders',
    });
    expect(requested.stderr).not.toContain('warning');
    expect(requested.code).toBe(0);
    expect(JSON.parse(requested.stdout)).toMatchObject({ accessKeyId: expect.any(String) });
    const id = /request (\S+) created/.exec(requested.stderr)?.[1];
    expect(id).toBeDefined();
    expect(await requestCount()).toBe(before + 1);
    const view = (await api(ctx.stack, 'GET', `/requests/${id}`, token)).body;
    expect(view).toMatchObject({
      profile: 'orders-it',
      status: 'issued',
      durationSeconds: 1200,
      reason: 'integration tests of acme/orders',
      permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [TABLE] }],
    });

    const released = await jitvend(['release', id!, '--format', 'text'], cwd);
    expect(released.code).toBe(0);
    expect(released.stderr).toBe(`jitvend: request ${id} released\n`);
    expect((await api(ctx.stack, 'GET', `/requests/${id}`, token)).body.status).toBe('released');
    const policy = ctx.stack.iam.rolePolicies()[ROLE];
    expect(policy).toContain(`jitvend-${id}`);

    const again = await jitvend(['release', id!], cwd);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('HTTP 409');
  });

  it('without --profile and without a manifest, request is a usage error', async () => {
    const cwd = join(dir, 'nothing');
    await mkdir(cwd);
    const { code, stderr } = await jitvend(['request', '--reason', 'x'], cwd);
    expect(code).toBe(2);
    expect(stderr).toContain('--profile is required: there is no .jitvend.yml in');
  });
});
