import type { Permission } from './api-types.ts';
import { UsageError } from './errors.ts';

/** `service:Action` with IAM wildcards, or `*`. */
const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;
/** an ARN (with wildcards) or `*`; no whitespace or control characters anywhere */
const RESOURCE = /^(\*|arn:[^\s\p{Cc}]+)$/u;
/**
 * Resources are comma-separated, but an IAM name may itself contain a comma
 * (`role/a,b` is legal), so only a comma that starts a new ARN or `*` separates.
 */
const RESOURCE_SEPARATOR = /,(?=arn:|\*(?:,|$))/;

/**
 * `--allow ACTIONS=RESOURCES`: comma-separated actions, `=`, comma-separated resource ARNs.
 * Actions never contain `=`, so the first `=` splits (ARNs may contain `=`).
 *   `dynamodb:GetItem,dynamodb:Query=arn:aws:dynamodb:us-east-1:1:table/orders-it-*`
 */
export function parseAllow(value: string): Permission {
  const eq = value.indexOf('=');
  if (eq < 0)
    throw new UsageError(
      `expected ACTIONS=RESOURCES, e.g. s3:GetObject=arn:aws:s3:::bucket/*, got "${value}"`,
    );
  const actions = value
    .slice(0, eq)
    .split(',')
    .map((a) => a.trim());
  const resourceText = value.slice(eq + 1).trim();
  if (actions.some((a) => a === '')) throw new UsageError(`empty action in "${value}"`);
  if (resourceText === '') throw new UsageError(`no resource after "=" in "${value}"`);
  const resources = resourceText.split(RESOURCE_SEPARATOR);
  for (const action of actions) {
    if (!ACTION.test(action))
      throw new UsageError(`"${action}" is not an IAM action (service:Action, wildcards * ?)`);
  }
  for (const resource of resources) {
    if (!RESOURCE.test(resource)) throw new UsageError(`"${resource}" is not a resource ARN (arn:... or *)`);
  }
  return { actions, resources };
}

const UNIT_SECONDS = { h: 3600, m: 60, s: 1 } as const;
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `900`, `900s`, `15m`, `1h`, `1h30m` → seconds (a positive whole number). */
export function parseDuration(value: string): number {
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return positive(Number(text), value);
  const match = DURATION.exec(text);
  if (!text || !match || match.slice(1).every((part) => part === undefined))
    throw new UsageError(`"${value}" is not a duration (900, 900s, 15m, 1h, 1h30m)`);
  const [, h, m, s] = match;
  return positive(
    Number(h ?? 0) * UNIT_SECONDS.h + Number(m ?? 0) * UNIT_SECONDS.m + Number(s ?? 0) * UNIT_SECONDS.s,
    value,
  );
}

function positive(seconds: number, value: string): number {
  if (seconds <= 0 || !Number.isSafeInteger(seconds))
    throw new UsageError(`duration must be a positive number of seconds, got "${value}"`);
  return seconds;
}

/** `--context key=value`; the value may contain `=`. */
export function parseContextEntry(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`expected key=value, got "${value}"`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** `--wait-seconds` style integers. */
export function parseWholeNumber(value: string, { min, max }: { min: number; max: number }): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`expected a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}
