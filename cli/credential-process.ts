/**
 * `jitvend request --format credential-process`: what an AWS SDK's `credential_process` call
 * gets (SPEC.md "CLI"). Cached credentials are handed out while more than `--refresh-before`
 * (10 minutes) remains; then the cached request is renewed inside its approval window; only
 * once the window is over (or the renewal is refused `410`) is a new request made. Concurrent
 * callers share one request and one renewal through the cache entry's lock. The cache holds
 * the request id, the credentials and the window's end, never the OIDC token.
 */
import type { ApiClient } from './api-client.ts';
import {
  type CachedCredentials,
  cacheDecision,
  MIN_REMAINING_MS,
  readCacheEntry,
  withCacheLock,
  writeCachedCredentials,
} from './cache.ts';
import { ApiError, CliError } from './errors.ts';
import { sanitize } from './format.ts';
import type { CliIo } from './io.ts';

/** The longest a `429` on renewal is waited out (the API allows one renewal a minute). */
const MAX_RENEW_WAIT_MS = 60_000;

export interface CredentialProcessCache {
  dir: string;
  key: string;
  /** hand out cached credentials only while more than this remains */
  refreshBeforeMs: number;
}

/**
 * The credentials to hand out: the cached ones on a hit (no API call, no lock), else under the
 * lock: whatever another caller cached meanwhile, a renewal, or `request()` (a new request,
 * waited for until issued).
 */
export async function credentialProcessCredentials(
  cache: CredentialProcessCache,
  client: () => ApiClient,
  request: () => Promise<CachedCredentials>,
  io: Pick<CliIo, 'now' | 'sleep' | 'stderr' | 'signal'>,
): Promise<CachedCredentials> {
  const seen = await readCacheEntry(cache.dir, cache.key);
  if (seen && cacheDecision(seen, io.now(), cache.refreshBeforeMs).kind === 'hit') return seen;
  return withCacheLock(cache.dir, cache.key, async () => {
    // another caller may have renewed or requested while this one waited for the lock
    const entry = await readCacheEntry(cache.dir, cache.key);
    const decision = cacheDecision(entry, io.now(), cache.refreshBeforeMs);
    if (decision.kind === 'hit' && entry) return entry;
    if (decision.kind === 'renew' && entry) {
      const renewed = await renew(client(), entry, io);
      if (renewed) {
        if (renewed !== entry) await store(cache, renewed, io);
        return renewed;
      }
    }
    const made = await request();
    await store(cache, made, io);
    return made;
  });
}

/**
 * Renews the cached request: the new entry, the cached one when a renewal cannot be had now
 * but its credentials still serve, or undefined when a new request must be made (`410`: the
 * window ended, or the request was released or revoked).
 */
async function renew(
  client: ApiClient,
  entry: CachedCredentials,
  io: Pick<CliIo, 'now' | 'sleep' | 'stderr' | 'signal'>,
): Promise<CachedCredentials | undefined> {
  const id = sanitize(entry.requestId);
  for (let attempt = 1; ; attempt++) {
    try {
      const credentials = await client.renew(entry.requestId);
      io.stderr.write(
        `jitvend: request ${id} renewed: new session valid until ${sanitize(credentials.expiration)}\n`,
      );
      return { ...entry, credentials };
    } catch (error) {
      if (error instanceof ApiError && (error.status === 410 || error.status === 409)) {
        io.stderr.write(
          `jitvend: request ${id} cannot be renewed (${error.message}): making a new request\n`,
        );
        return undefined;
      }
      const stillServes = Date.parse(entry.credentials.expiration) - io.now() > MIN_REMAINING_MS;
      if (error instanceof ApiError && error.status === 429) {
        if (stillServes) {
          io.stderr.write(
            `jitvend: request ${id} was renewed less than a minute ago (HTTP 429): the cached session is handed out\n`,
          );
          return entry;
        }
        const waitMs = Math.min((error.retryAfterSeconds ?? 60) * 1000, MAX_RENEW_WAIT_MS);
        if (attempt > 1) throw error;
        io.stderr.write(`jitvend: request ${id}: renewal allowed again in ${Math.ceil(waitMs / 1000)}s\n`);
        await io.sleep(waitMs, io.signal);
        continue;
      }
      // the API unreachable or answering 5xx: credentials that still serve are better than none
      if (stillServes && error instanceof CliError && !(error instanceof ApiError && error.status < 500)) {
        io.stderr.write(
          `jitvend: warning: request ${id} not renewed (${sanitize(error.message)}): cached session handed out\n`,
        );
        return entry;
      }
      throw error;
    }
  }
}

async function store(
  cache: CredentialProcessCache,
  entry: CachedCredentials,
  io: Pick<CliIo, 'stderr'>,
): Promise<void> {
  await writeCachedCredentials(cache.dir, cache.key, entry).catch((error) =>
    io.stderr.write(`jitvend: warning: could not cache the credentials: ${sanitize(String(error))}\n`),
  );
}
