/**
 * The credential_process fast path (cli/fast-path.ts) answers a hit before the CLI loads: it
 * must find exactly the entry the full CLI writes, for the invocations it claims to understand,
 * and leave everything else to the full CLI. Also: the cache key's SHA-256 against node:crypto.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeRenewingProfile } from '../../action/src/config-profile.ts';
import { answerFromCache, fastLookup } from '../../cli/fast-path.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { sha256Hex } from '../../cli/sha256.ts';

const API = 'http://127.0.0.1:8787';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('sha256Hex', () => {
  it.each(['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000), 'ünïcødé ☃ 𝄞'])(
    'is SHA-256 of %j',
    (text) => {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    },
  );

  it('agrees with node:crypto on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
      }),
    );
  });
});

/** A jitvend API that issues every request at once, as `fetch` (the CLI's io takes it). */
function fakeFetch(): typeof fetch {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const view = {
    id: 'req-1',
    profile: 'orders-it',
    requester: 'repo:acme/orders',
    status: 'issued',
    permissions: [],
    sessionPolicy: {},
    durationSeconds: 3600,
    windowSeconds: 7200,
    reason: 'r',
    approvals: [],
    createdAt: later(0),
    windowEndsAt: later(7_200_000),
  };
  return async (input, init) => {
    const path = new URL(String(input)).pathname;
    if (init?.method === 'POST' && path === '/requests') return json(201, view);
    if (path === '/requests/req-1/credentials')
      return json(200, {
        accessKeyId: 'ASIAFULLPATH',
        secretAccessKey: 's',
        sessionToken: 't',
        expiration: later(3_600_000),
      });
    return json(200, view);
  };
}

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'jitvend-fast-path-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const env = () => ({ JITVEND_API: API, JITVEND_TOKEN: 'a.b.c', XDG_CACHE_HOME: home });

/** The full CLI run once against the fake API, as a miss makes it run: it requests and caches. */
async function runFullCli(argv: string[], cliEnv: CliIo['env']): Promise<void> {
  const io: CliIo = {
    env: cliEnv,
    stdout: { write: () => true },
    stderr: { write: () => true },
    fetch: fakeFetch(),
    now: () => Date.now(),
    sleep: async () => {},
    homeDir: home,
    cwd: home,
  };
  expect(await main(argv, io)).toBe(0);
}

/** The cache files the full CLI wrote for argv. */
async function fullCliCaches(argv: string[]): Promise<string[]> {
  await runFullCli(argv, env());
  return (await readdir(join(home, 'jitvend'))).filter((name) => name.endsWith('.json'));
}

describe('the fast path finds the entry the full CLI wrote', () => {
  it.each([
    [
      'flags',
      [
        'request',
        '--profile',
        'orders-it',
        '--allow',
        `dynamodb:GetItem,dynamodb:Query=${TABLE}`,
        '--allow',
        's3:GetObject=arn:aws:s3:::b/*',
        '--duration',
        '1h',
        '--window',
        '2h',
        '--reason',
        'r',
        '--format',
        'credential-process',
      ],
    ],
    [
      '--name=value forms, an API with a trailing slash, --wait and options that do not shape the key',
      [
        `--api=${API}/`,
        'request',
        '--profile=orders-it',
        '--duration=3600',
        '--wait',
        '--reason=tests of today',
        '--context',
        'a=b',
        '--refresh-before',
        '5m',
        '--format=credential-process',
      ],
    ],
  ])('%s', async (_, argv) => {
    const files = await fullCliCaches(argv);
    expect(files).toHaveLength(1);
    expect(`${fastLookup(argv, env(), home)?.key}.json`).toBe(files[0]);
    let written = '';
    expect(answerFromCache(argv, env(), (text) => (written += text))).toBe(true);
    expect(JSON.parse(written)).toMatchObject({ Version: 1, AccessKeyId: 'ASIAFULLPATH' });
  });

  it("the GitHub Action's renewing profile: the seeded entry is a hit, and is the full CLI's key", async () => {
    const profile = await writeRenewingProfile({
      parentDir: home,
      api: API,
      body: {
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
        durationSeconds: 900,
        windowSeconds: 7200,
        reason: 'GitHub Actions: acme/orders, run 42',
        context: { 'github.job': 'it' },
      },
      first: {
        requestId: 'req-seeded',
        credentials: {
          accessKeyId: 'ASIASEEDED',
          secretAccessKey: 's',
          sessionToken: 't',
          expiration: later(900_000),
        },
        windowEndsAt: later(7_200_000),
      },
      node: process.execPath,
      cli: '/opt/jitvend/jitvend.cjs',
    });
    const argv = profile.command.split(' ').slice(2);
    let written = '';
    expect(answerFromCache(argv, {}, (text) => (written += text))).toBe(true);
    expect(JSON.parse(written)).toMatchObject({ AccessKeyId: 'ASIASEEDED' });

    // the full CLI, on a miss, keys the same body the same way
    const cacheDir = argv[argv.indexOf('--cache-dir') + 1]!;
    await rm(cacheDir, { recursive: true });
    await runFullCli(argv, { JITVEND_TOKEN: 'a.b.c' });
    expect(await readdir(cacheDir)).toEqual([`${fastLookup(argv, {}, home)?.key}.json`]);
  });
});

describe('the fast path leaves to the full CLI what it is not sure of', () => {
  it.each([
    ['another format', ['request', '--profile', 'p', '--reason', 'r', '--format', 'env']],
    ['--no-cache', ['request', '--profile', 'p', '--no-cache', '--format', 'credential-process']],
    ['an unknown flag', ['request', '--profile', 'p', '--bogus', 'x', '--format', 'credential-process']],
    ['another command', ['renew', 'req-1', '--format', 'credential-process']],
    ['no profile (the .jitvend.yml lookup)', ['request', '--reason', 'r', '--format', 'credential-process']],
    ['a bad duration', ['request', '--profile', 'p', '--duration', 'soon', '--format', 'credential-process']],
    ['a flag without its value', ['request', '--format', 'credential-process', '--profile']],
  ])('%s', (_, argv) => {
    expect(fastLookup(argv, env(), home)).toBeUndefined();
  });

  it.each([
    ['YAML', 'profile: orders-it\nreason: r\n'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
    ['something to substitute', '{"profile": "orders-${ENV}", "reason": "r"}'],
    ['a duration as text', '{"profile": "orders-it", "duration": "15m", "reason": "r"}'],
    ['an unknown field', '{"profile": "orders-it", "durration": 900, "reason": "r"}'],
  ])('a manifest with %s', async (_, text) => {
    const path = join(home, 'manifest.json');
    await writeFile(path, text);
    expect(
      fastLookup(['request', '--manifest', path, '--format', 'credential-process'], env(), home),
    ).toBeUndefined();
  });

  it('a miss writes nothing', () => {
    let written = '';
    const argv = ['request', '--profile', 'p', '--reason', 'r', '--format', 'credential-process'];
    expect(answerFromCache(argv, env(), (text) => (written += text))).toBe(false);
    expect(written).toBe('');
  });
});
