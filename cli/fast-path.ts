/**
 * The credential_process cache hit, answered before the rest of the CLI is loaded. An AWS SDK
 * runs `jitvend request ... --format credential-process` again and again; loading commander,
 * zod and the YAML parser costs more than Node's own start, so a hit must not need them
 * (bench/credential-process.ts: a hit within 1.3 × `node -e 0`).
 *
 * Only what is certain is answered here: flags it knows, a `--manifest` that is plain JSON
 * (the GitHub Action's renewing profile writes one), no `${...}` to substitute. Anything else,
 * and every miss, returns false: the full CLI (cli/main.ts) then decides, renews or requests,
 * under the lock. It computes the same cache key from the same body, so a hit here is a hit
 * there (test/unit/cli-fast-path.test.ts).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Permission } from './api-types.ts';
import { parseAllow, parseDuration } from './args.ts';
import { cacheDecision, cacheDir, cacheKey, DEFAULT_REFRESH_BEFORE_MS, readCacheEntrySync } from './cache.ts';
import { formatCredentials } from './format.ts';

const DEFAULT_API = 'http://127.0.0.1:8787';

/** The options `request` takes that carry a value; a flag outside these two lists means: not here. */
const WITH_VALUE = new Set([
  '--profile',
  '--manifest',
  '--allow',
  '--duration',
  '--window',
  '--reason',
  '--context',
  '--format',
  '--idempotency-key',
  '--wait-timeout',
  '--refresh-before',
  '--cache-dir',
]);
const WITHOUT_VALUE = new Set(['--wait']);

/** What the cache is keyed on and where it is, read from argv; undefined when unsure. */
export interface FastLookup {
  dir: string;
  key: string;
  refreshBeforeMs: number;
}

/** Reads `[--api URL] [--token-file F] request OPTIONS` when every part of it is understood. */
export function fastLookup(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  home: string,
): FastLookup | undefined {
  const options = new Map<string, string[]>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i] ?? '';
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (!arg.startsWith('-')) {
      if (command !== undefined) return undefined;
      command = arg;
      continue;
    }
    const global = command === undefined;
    if (global ? arg !== '--api' && arg !== '--token-file' : !WITH_VALUE.has(arg)) {
      if (global || !WITHOUT_VALUE.has(arg) || value !== undefined) return undefined;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) return undefined;
    }
    options.set(arg, [...(options.get(arg) ?? []), value]);
  }
  const last = (name: string) => options.get(name)?.at(-1);
  if (command !== 'request' || last('--format') !== 'credential-process') return undefined;
  try {
    const api = normalizedApi(last('--api') || env.JITVEND_API || DEFAULT_API);
    const body = bodyOf(options, last);
    if (!api || !body) return undefined;
    const refreshBefore = last('--refresh-before');
    return {
      dir: last('--cache-dir') ?? cacheDir(env, home),
      key: cacheKey({ api, ...body }),
      refreshBeforeMs:
        refreshBefore === undefined ? DEFAULT_REFRESH_BEFORE_MS : parseDuration(refreshBefore) * 1000,
    };
  } catch {
    // a bad flag or manifest: the full CLI says what is wrong
    return undefined;
  }
}

interface KeyedBody {
  profile: string;
  permissions: Permission[] | undefined;
  durationSeconds: number | undefined;
  windowSeconds: number | undefined;
}

function bodyOf(
  options: Map<string, string[]>,
  last: (name: string) => string | undefined,
): KeyedBody | undefined {
  const allow = (options.get('--allow') ?? []).map(parseAllow);
  const duration = last('--duration');
  const window = last('--window');
  const flags = {
    permissions: allow.length ? allow : undefined,
    durationSeconds: duration === undefined ? undefined : parseDuration(duration),
    windowSeconds: window === undefined ? undefined : parseDuration(window),
  };
  const manifestPath = last('--manifest');
  const profile = last('--profile');
  if (manifestPath === undefined) return profile === undefined ? undefined : { profile, ...flags };
  const manifest = jsonManifest(readFileSync(manifestPath, 'utf8'));
  if (!manifest) return undefined;
  return {
    profile: profile ?? manifest.profile,
    permissions: flags.permissions ?? manifest.permissions,
    durationSeconds: flags.durationSeconds ?? manifest.duration,
    windowSeconds: flags.windowSeconds ?? manifest.window,
  };
}

/** A manifest written as JSON with nothing to substitute and durations in seconds; else undefined. */
function jsonManifest(
  text: string,
): { profile: string; permissions?: Permission[]; duration?: number; window?: number } | undefined {
  if (text.includes('$')) return undefined;
  const value = JSON.parse(text) as Record<string, unknown>;
  if (!value || typeof value !== 'object' || typeof value.profile !== 'string') return undefined;
  const known = ['profile', 'permissions', 'duration', 'window', 'reason', 'context'];
  if (Object.keys(value).some((key) => !known.includes(key))) return undefined;
  const seconds = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) > 0);
  if (!seconds(value.duration) || !seconds(value.window)) return undefined;
  const permissions = value.permissions;
  if (permissions !== undefined && !isPermissions(permissions)) return undefined;
  return {
    profile: value.profile,
    ...(permissions === undefined ? {} : { permissions }),
    ...(value.duration === undefined ? {} : { duration: value.duration as number }),
    ...(value.window === undefined ? {} : { window: value.window as number }),
  };
}

function isPermissions(value: unknown): value is Permission[] {
  const strings = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (p) =>
        p &&
        typeof p === 'object' &&
        Object.keys(p).sort().join() === 'actions,resources' &&
        strings(p.actions) &&
        strings(p.resources),
    )
  );
}

/** As `parseApiUrl(...).href` without trailing slashes (cli/api-client.ts); undefined when not plain. */
function normalizedApi(value: string): string | undefined {
  const url = new URL(value);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    return undefined;
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url.href.replace(/\/+$/, '');
}

/**
 * Writes the cached credentials and returns true on a hit; false (having written nothing)
 * when the full CLI must answer.
 */
export function answerFromCache(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  write: (text: string) => void,
  now = Date.now(),
  home = homedir(),
): boolean {
  const lookup = fastLookup(argv, env, home);
  if (!lookup) return false;
  const entry = readCacheEntrySync(lookup.dir, lookup.key);
  if (!entry || cacheDecision(entry, now, lookup.refreshBeforeMs).kind !== 'hit') return false;
  write(formatCredentials(entry.credentials, 'credential-process', entry.requestId));
  return true;
}
