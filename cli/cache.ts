import { readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Credentials, Permission } from './api-types.ts';
import type { CliIo } from './io.ts';
import { sha256Hex } from './sha256.ts';

/**
 * When a renewal cannot be had right now (`429`, or the API unreachable), cached credentials
 * still valid for longer than this are handed out rather than failing the SDK's call.
 */
export const MIN_REMAINING_MS = 120_000;

/**
 * `credential_process`: cached credentials are handed out only while more than this remains
 * (`--refresh-before`). The AWS SDKs treat credentials with under 5 minutes left as expired and
 * call the process again; handing out ones with 10 minutes left keeps every SDK call working.
 */
export const DEFAULT_REFRESH_BEFORE_MS = 10 * 60_000;
/** STS's shortest session: a window with less than this left cannot be renewed. */
const MIN_RENEWAL_MS = 15 * 60_000;

/** What a `credential_process` call does with what the cache holds. */
export type CacheDecision =
  /** hand out the cached credentials */
  | { kind: 'hit' }
  /** renew the cached request's session inside its window (`POST /requests/{id}/renew`) */
  | { kind: 'renew'; requestId: string }
  /** make a new request (nothing cached, or its window has ended) */
  | { kind: 'request' };

/**
 * Decides on a fake-able clock: a hit while more than `refreshBeforeMs` remains of the cached
 * session; else a renewal while the window (the cached `windowEndsAt`) has at least STS's
 * shortest session left; else a new request.
 */
export function cacheDecision(
  entry: CachedCredentials | undefined,
  now: number,
  refreshBeforeMs = DEFAULT_REFRESH_BEFORE_MS,
): CacheDecision {
  if (!entry) return { kind: 'request' };
  const expiresAt = Date.parse(entry.credentials.expiration);
  if (!Number.isNaN(expiresAt) && expiresAt - now > refreshBeforeMs) return { kind: 'hit' };
  const windowEnd = entry.windowEndsAt ? Date.parse(entry.windowEndsAt) : Number.NaN;
  if (!Number.isNaN(windowEnd) && windowEnd - now >= MIN_RENEWAL_MS)
    return { kind: 'renew', requestId: entry.requestId };
  return { kind: 'request' };
}

export interface CacheKeyParts {
  api: string;
  profile: string;
  permissions: Permission[] | undefined;
  durationSeconds: number | undefined;
  windowSeconds?: number | undefined;
}

export interface CachedCredentials {
  requestId: string;
  credentials: Credentials;
  /** when the request's approval window ends: until then the cache renews rather than requests */
  windowEndsAt?: string;
}

/** `$XDG_CACHE_HOME/jitvend`, else `~/.cache/jitvend` (a relative XDG_CACHE_HOME is ignored, as the XDG spec says). */
export function cacheDir(env: CliIo['env'], homeDir: string): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, 'jitvend') : join(homeDir, '.cache', 'jitvend');
}

/** One cache entry per API, profile, permissions, duration and window: the things that shape the approval. */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify([
    parts.api.replace(/\/+$/, ''),
    parts.profile,
    parts.permissions ?? null,
    parts.durationSeconds ?? null,
    ...(parts.windowSeconds === undefined ? [] : [parts.windowSeconds]),
  ]);
  return sha256Hex(canonical);
}

/**
 * The cache entry whatever its credentials' expiry (what `cacheDecision` weighs: a spent
 * session may still have a window to renew in); undefined when missing or not trusted: a file
 * that is unreadable, malformed, readable by others or owned by someone else.
 */
export async function readCacheEntry(dir: string, key: string): Promise<CachedCredentials | undefined> {
  const path = join(dir, `${key}.json`);
  try {
    return trustedEntry(await stat(path), await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** As readCacheEntry, synchronously: the credential_process fast path (cli/fast-path.ts) starts no thread pool. */
export function readCacheEntrySync(dir: string, key: string): CachedCredentials | undefined {
  const path = join(dir, `${key}.json`);
  try {
    return trustedEntry(statSync(path), readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function trustedEntry(info: { mode: number; uid: number }, text: string): CachedCredentials | undefined {
  if ((info.mode & 0o077) !== 0) return undefined;
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return undefined;
  const entry = JSON.parse(text) as Partial<CachedCredentials>;
  const credentials = entry.credentials;
  if (typeof entry.requestId !== 'string' || !isCredentials(credentials)) return undefined;
  return {
    requestId: entry.requestId,
    credentials,
    ...(typeof entry.windowEndsAt === 'string' ? { windowEndsAt: entry.windowEndsAt } : {}),
  };
}

/** Writes the entry with mode 0600 (directory 0700), atomically: a concurrent reader sees old or new. */
export async function writeCachedCredentials(
  dir: string,
  key: string,
  entry: CachedCredentials,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${key}.json`);
  // created exclusively (wx): a name another writer took fails rather than being shared
  const temp = join(dir, `.${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(temp, JSON.stringify(entry), { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function isCredentials(value: unknown): value is Credentials {
  if (!value || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.accessKeyId === 'string' &&
    typeof c.secretAccessKey === 'string' &&
    typeof c.sessionToken === 'string' &&
    typeof c.expiration === 'string'
  );
}

/** How long a lock may be held before another caller takes it over (its holder died). */
const LOCK_STALE_MS = 120_000;
const LOCK_POLL_MS = 100;
/** The holder touches its lock this often, so a wait for a human longer than LOCK_STALE_MS keeps it. */
const LOCK_HEARTBEAT_MS = 30_000;

/**
 * Runs `fn` holding the cache entry's lock (`<key>.lock`, created exclusively, mode 0600), so
 * concurrent callers (an SDK with many threads, parallel test workers) share one request and
 * one renewal: the others wait, then find the fresh entry. The holder touches the lock every 30
 * seconds while it works (a request may wait half an hour for a human); a lock untouched for two
 * minutes (its holder was killed) is taken over. `sleep` and `now` are injectable for tests.
 */
export async function withCacheLock<T>(
  dir: string,
  key: string,
  fn: () => Promise<T>,
  clock: { now(): number; sleep(ms: number): Promise<void> } = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
): Promise<T> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${key}.lock`);
  for (;;) {
    try {
      await writeFile(path, JSON.stringify({ pid: process.pid, at: clock.now() }), {
        mode: 0o600,
        flag: 'wx',
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(path).catch(() => undefined);
      if (held && clock.now() - held.mtimeMs > LOCK_STALE_MS) {
        await rm(path, { force: true });
        continue;
      }
      await clock.sleep(LOCK_POLL_MS);
    }
  }
  const heartbeat = setInterval(() => {
    const at = new Date();
    utimes(path, at, at).catch(() => {});
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await rm(path, { force: true });
  }
}
