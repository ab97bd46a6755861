import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Credentials, Permission } from './api-types.ts';
import type { CliIo } from './io.ts';

/** Cached credentials are reused only while they stay valid for longer than this. */
export const MIN_REMAINING_MS = 120_000;

export interface CacheKeyParts {
  api: string;
  profile: string;
  permissions: Permission[] | undefined;
  durationSeconds: number | undefined;
}

export interface CachedCredentials {
  requestId: string;
  credentials: Credentials;
}

/** `$XDG_CACHE_HOME/jitvend`, else `~/.cache/jitvend` (a relative XDG_CACHE_HOME is ignored, as the XDG spec says). */
export function cacheDir(env: CliIo['env'], homeDir: string): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, 'jitvend') : join(homeDir, '.cache', 'jitvend');
}

/** One cache entry per API, profile, permissions and duration: the things that shape the session. */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify([
    parts.api.replace(/\/+$/, ''),
    parts.profile,
    parts.permissions ?? null,
    parts.durationSeconds ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The cached credentials when they are still valid for more than MIN_REMAINING_MS, else
 * undefined. A file that is unreadable, malformed, readable by others or owned by someone
 * else is ignored (and a new request made), never trusted.
 */
export async function readCachedCredentials(
  dir: string,
  key: string,
  now: number,
): Promise<CachedCredentials | undefined> {
  const path = join(dir, `${key}.json`);
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) return undefined;
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return undefined;
    const entry = JSON.parse(await readFile(path, 'utf8')) as Partial<CachedCredentials>;
    const credentials = entry.credentials;
    if (typeof entry.requestId !== 'string' || !isCredentials(credentials)) return undefined;
    const expiresAt = Date.parse(credentials.expiration);
    if (Number.isNaN(expiresAt) || expiresAt - now <= MIN_REMAINING_MS) return undefined;
    return { requestId: entry.requestId, credentials };
  } catch {
    return undefined;
  }
}

/** Writes the entry with mode 0600 (directory 0700), atomically: a concurrent reader sees old or new. */
export async function writeCachedCredentials(
  dir: string,
  key: string,
  entry: CachedCredentials,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${key}.json`);
  const temp = join(dir, `.${key}.${randomBytes(6).toString('hex')}.tmp`);
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
