import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CacheKeyParts,
  cacheDecision,
  cacheDir,
  cacheKey,
  readCacheEntry,
  withCacheLock,
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
  it("gives back what was written, whatever its expiry (the decision is cacheDecision's)", async () => {
    await writeCachedCredentials(dir, 'k', entry(10 * 60_000));
    expect(await readCacheEntry(dir, 'k')).toEqual(entry(10 * 60_000));
    await writeCachedCredentials(dir, 'k', entry(-1));
    expect(await readCacheEntry(dir, 'k')).toEqual(entry(-1));
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
    expect(await readCacheEntry(dir, 'k')).toBeUndefined();

    await writeFile(join(dir, 'bad.json'), '{"requestId":"r","credentials":{"accessKeyId":1}}', {
      mode: 0o600,
    });
    expect(await readCacheEntry(dir, 'bad')).toBeUndefined();
    expect(await readCacheEntry(dir, 'missing')).toBeUndefined();
  });

  it('keys on the API, profile, permissions, duration and window', () => {
    const key = cacheKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // no window asked: the key entries cached before windows existed had
    expect(cacheKey({ ...parts, windowSeconds: undefined })).toBe(key);
    expect(cacheKey({ ...parts, api: 'https://jitvend.example.com/' })).toBe(key);
    for (const other of [
      { ...parts, api: 'https://other.example.com' },
      { ...parts, profile: 'billing-it' },
      { ...parts, permissions: undefined },
      { ...parts, permissions: [{ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::b/*'] }] },
      { ...parts, durationSeconds: 1800 },
      { ...parts, windowSeconds: 7200 },
    ])
      expect(cacheKey(other)).not.toBe(key);
  });

  it('lives under $XDG_CACHE_HOME/jitvend, else ~/.cache/jitvend', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/me')).toBe('/var/cache/me/jitvend');
    expect(cacheDir({}, '/home/me')).toBe('/home/me/.cache/jitvend');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/me')).toBe('/home/me/.cache/jitvend');
  });
});

describe('credential_process cache decisions (fake clock)', () => {
  const MIN = 60_000;
  const cached = (sessionLeftMs: number, windowLeftMs?: number) => ({
    ...entry(sessionLeftMs),
    ...(windowLeftMs !== undefined ? { windowEndsAt: new Date(NOW + windowLeftMs).toISOString() } : {}),
  });

  it.each([
    ['nothing cached', undefined, 'request'],
    ['a session with 30 minutes left', cached(30 * MIN, 120 * MIN), 'hit'],
    ['a session with 10 minutes and a second left', cached(10 * MIN + 1000, 120 * MIN), 'hit'],
    ['a session with 9 minutes left, inside a 2-hour window', cached(9 * MIN, 100 * MIN), 'renew'],
    ['a spent session, the window still open', cached(-5 * MIN, 60 * MIN), 'renew'],
    ['a session with 9 minutes left, and its window ends with it', cached(9 * MIN, 9 * MIN), 'request'],
    ['a window with 14 minutes left (STS’s shortest session is 15)', cached(5 * MIN, 14 * MIN), 'request'],
    ['a request with no window (one session)', cached(9 * MIN), 'request'],
  ])('%s → %s', (_, cachedEntry, kind) => {
    expect(cacheDecision(cachedEntry, NOW).kind).toBe(kind);
  });

  it('--refresh-before changes when a cached session stops being handed out', () => {
    expect(cacheDecision(cached(9 * MIN, 100 * MIN), NOW, 5 * MIN).kind).toBe('hit');
    expect(cacheDecision(cached(29 * MIN, 100 * MIN), NOW, 30 * MIN)).toEqual({
      kind: 'renew',
      requestId: 'req-1',
    });
  });

  it('keeps the window through the cache file, even once the session is spent', async () => {
    await writeCachedCredentials(dir, 'k', cached(-1 * MIN, 60 * MIN));
    expect(await readCacheEntry(dir, 'k')).toEqual(cached(-1 * MIN, 60 * MIN));
  });
});

describe('the cache lock: concurrent callers share one request', () => {
  it('two callers racing on a miss: one makes the request, the other finds its entry', async () => {
    let requests = 0;
    const caller = () =>
      withCacheLock(dir, 'k', async () => {
        const found = await readCacheEntry(dir, 'k');
        if (cacheDecision(found, NOW).kind === 'hit') return found!.requestId;
        requests++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        const made = { ...entry(60 * 60_000), requestId: `req-${requests}` };
        await writeCachedCredentials(dir, 'k', made);
        return made.requestId;
      });
    const ids = await Promise.all([caller(), caller(), caller()]);
    expect(requests).toBe(1);
    expect(new Set(ids)).toEqual(new Set(['req-1']));
    expect(await readdir(dir)).toEqual(['k.json']);
  });

  it('takes over a lock left by a killed holder once it is two minutes old', async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'k.lock'), '{"pid":1}', { mode: 0o600 });
    let now = Date.now();
    const slept: number[] = [];
    const result = withCacheLock(dir, 'k', async () => 'ran', {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += 30_000;
      },
    });
    expect(await result).toBe('ran');
    expect(slept.length).toBeGreaterThanOrEqual(4);
    expect(await readdir(dir)).toEqual([]);
  });
});
