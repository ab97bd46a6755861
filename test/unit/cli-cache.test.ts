import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CacheKeyParts,
  cacheDir,
  cacheKey,
  MIN_REMAINING_MS,
  readCachedCredentials,
  writeCachedCredentials,
} from '../../cli/cache.ts';

const NOW = Date.parse('2026-11-24T01:00:00Z');
const entry = (expiresInMs: number) => ({
  requestId: 'req-1',
  credentials: {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'token',
    expiration: new Date(NOW + expiresInMs).toISOString(),
  },
});
const parts: CacheKeyParts = {
  api: 'https://jitvend.example.com',
  profile: 'orders-it',
  permissions: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }],
  durationSeconds: 900,
};

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'jitvend-cache-test-')), 'jitvend');
});
afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

describe('credential cache', () => {
  it('gives back credentials valid for more than two minutes', async () => {
    await writeCachedCredentials(dir, 'k', entry(10 * 60_000));
    expect(await readCachedCredentials(dir, 'k', NOW)).toEqual(entry(10 * 60_000));
  });

  it.each([
    ['near expiry', MIN_REMAINING_MS],
    ['expired', -1],
  ])('ignores credentials %s', async (_, expiresInMs) => {
    await writeCachedCredentials(dir, 'k', entry(expiresInMs));
    expect(await readCachedCredentials(dir, 'k', NOW)).toBeUndefined();
  });

  it('writes the file 0600 in a 0700 directory, leaving no temporary files', async () => {
    await writeCachedCredentials(dir, 'k', entry(10 * 60_000));
    expect((await stat(join(dir, 'k.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual(['k.json']);
  });

  it('does not trust a file others can read, or one that is malformed or missing', async () => {
    await writeCachedCredentials(dir, 'k', entry(10 * 60_000));
    await chmod(join(dir, 'k.json'), 0o644);
    expect(await readCachedCredentials(dir, 'k', NOW)).toBeUndefined();

    await writeFile(join(dir, 'bad.json'), '{"requestId":"r","credentials":{"accessKeyId":1}}', {
      mode: 0o600,
    });
    expect(await readCachedCredentials(dir, 'bad', NOW)).toBeUndefined();
    expect(await readCachedCredentials(dir, 'missing', NOW)).toBeUndefined();
  });

  it('keys on the API, profile, permissions and duration', () => {
    const key = cacheKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...parts, api: 'https://jitvend.example.com/' })).toBe(key);
    for (const other of [
      { ...parts, api: 'https://other.example.com' },
      { ...parts, profile: 'billing-it' },
      { ...parts, permissions: undefined },
      { ...parts, permissions: [{ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::b/*'] }] },
      { ...parts, durationSeconds: 1800 },
    ])
      expect(cacheKey(other)).not.toBe(key);
  });

  it('lives under $XDG_CACHE_HOME/jitvend, else ~/.cache/jitvend', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/me')).toBe('/var/cache/me/jitvend');
    expect(cacheDir({}, '/home/me')).toBe('/home/me/.cache/jitvend');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/me')).toBe('/home/me/.cache/jitvend');
  });
});
