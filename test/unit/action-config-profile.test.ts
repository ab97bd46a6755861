/**
 * The GitHub Action's renewing profile (action/src/config-profile.ts): the files it writes,
 * their modes, the request written as a manifest the CLI reads back to the same body, and the
 * credential_process line read alike by the AWS CLI (shlex) and a shell.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteArgument, writeRenewingProfile } from '../../action/src/config-profile.ts';
import type { RequestBody } from '../../cli/api-types.ts';
import { cacheKey, readCacheEntry } from '../../cli/cache.ts';
import { loadManifest, requestBodyFromManifest } from '../../cli/manifest.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const body: RequestBody = {
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [TABLE] }],
  durationSeconds: 900,
  windowSeconds: 7200,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a reason holding the manifest's ${VAR} syntax must stay literal
  reason: 'GitHub Actions: acme/orders, job "it" costs $5 and ${HOME} stays text',
  context: { 'github.job': 'it' },
};
const first = {
  requestId: 'req-1',
  credentials: {
    accessKeyId: 'ASIAFIRST',
    secretAccessKey: 'secret',
    sessionToken: 'session',
    expiration: '2026-11-30T02:15:00.000Z',
  },
  windowEndsAt: '2026-11-30T04:00:00.000Z',
};

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'jitvend-profile-test-'));
});
afterEach(() => rm(parent, { recursive: true, force: true }));

describe('writeRenewingProfile', () => {
  it('writes a 0700 directory with a 0600 config, the request and the seeded cache, never a token', async () => {
    const profile = await writeRenewingProfile({
      parentDir: parent,
      api: 'https://jitvend.example.com',
      body,
      first,
      node: '/usr/bin/node',
      cli: '/home/runner/work/_actions/acme/jitvend/v1/action/dist/jitvend.mjs',
    });
    expect((await stat(profile.dir)).mode & 0o777).toBe(0o700);
    expect((await readdir(profile.dir)).sort()).toEqual(['aws-config', 'cache', 'request.json']);
    expect((await stat(profile.configFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(profile.dir, 'request.json'))).mode & 0o777).toBe(0o600);

    const config = await readFile(profile.configFile, 'utf8');
    expect(config).toContain('[profile jitvend]\n');
    expect(config).toContain(
      `credential_process = /usr/bin/node /home/runner/work/_actions/acme/jitvend/v1/action/dist/jitvend.mjs --api https://jitvend.example.com request --manifest ${profile.dir}/request.json --cache-dir ${profile.dir}/cache --format credential-process\n`,
    );

    // the CLI reads the request back to the very body, ${...} and $ left as text
    const manifest = await loadManifest({ path: join(profile.dir, 'request.json'), cwd: parent, env: {} });
    expect(requestBodyFromManifest(manifest!)).toEqual(body);

    // the cache entry is where the CLI looks for that body
    const key = cacheKey({
      api: 'https://jitvend.example.com',
      profile: body.profile,
      permissions: body.permissions,
      durationSeconds: body.durationSeconds,
      windowSeconds: body.windowSeconds,
    });
    expect(await readCacheEntry(join(profile.dir, 'cache'), key)).toEqual(first);
  });
});

describe('quoteArgument', () => {
  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['https://jitvend.example.com:8443/api', 'https://jitvend.example.com:8443/api'],
    ['/home/runner/work/_temp/my dir/request.json', '"/home/runner/work/_temp/my dir/request.json"'],
  ])('%s → %s, one argument for a shell', async (value, quoted) => {
    expect(quoteArgument(value)).toBe(quoted);
    const { stdout } = await promisify(execFile)('sh', ['-c', `printf '%s\\n' ${quoted}`]);
    expect(stdout).toBe(`${value}\n`);
  });

  it.each(['a"b', 'a$b', 'a`b', 'C:\\runner\\_temp', 'a\nb'])(
    'refuses %j, which a shell and the AWS CLI would read differently',
    (value) => {
      expect(() => quoteArgument(value)).toThrow(/cannot write .* into a credential_process line/s);
    },
  );
});
