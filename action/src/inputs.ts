/**
 * The action's inputs (action.yml), read and checked before anything is sent: a bad input
 * fails the step with a message naming it, as the CLI does for a bad flag.
 */

import { parseApiUrl } from '../../cli/api-client.ts';
import type { Permission, RequestBody } from '../../cli/api-types.ts';
import { parseAllow, parseDuration } from '../../cli/args.ts';
import { UsageError } from '../../cli/errors.ts';
import { DEFAULT_AUDIENCE } from '../../cli/token.ts';

/** How one input is read: `core.getInput(name)` in the action, a table in tests. */
export type InputReader = (name: string) => string;

export interface ActionInputs {
  api: string;
  audience: string;
  /** empty: the request comes from the manifest */
  profile?: string;
  permissions: Permission[];
  manifest?: string;
  durationSeconds?: number;
  windowSeconds?: number;
  reason?: string;
  waitTimeoutSeconds?: number;
  release: boolean;
}

/** YAML 1.2 core schema booleans, as `core.getBooleanInput` takes them. */
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

export function readInputs(input: InputReader): ActionInputs {
  const text = (name: string) => input(name).trim();
  const api = text('api');
  if (!api)
    throw new UsageError('input "api" is required: the jitvend API URL, e.g. https://jitvend.example.com');
  const profile = text('profile') || undefined;
  const manifest = text('manifest') || undefined;
  if (profile && manifest)
    throw new UsageError(
      'inputs "profile" and "manifest" exclude each other: give one (or neither, for .jitvend.yml)',
    );
  const durationSeconds = optionalDuration(text('duration'), 'duration');
  const windowSeconds = optionalDuration(text('window'), 'window');
  if (windowSeconds !== undefined && durationSeconds !== undefined && windowSeconds < durationSeconds)
    throw new UsageError(
      `input "window" (${windowSeconds}s) is shorter than "duration" (${durationSeconds}s)`,
    );
  return {
    api: parseApiUrl(api).href.replace(/\/+$/, ''),
    audience: text('audience') || DEFAULT_AUDIENCE,
    ...(profile ? { profile } : {}),
    permissions: allowLines(input('allow')),
    ...(manifest ? { manifest } : {}),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(windowSeconds === undefined ? {} : { windowSeconds }),
    ...(text('reason') ? { reason: text('reason') } : {}),
    ...optional('waitTimeoutSeconds', optionalDuration(text('wait-timeout'), 'wait-timeout')),
    release: booleanInput(text('release'), 'release', true),
  };
}

/** `allow`: one `ACTIONS=RESOURCES` per line; blank lines and `#` comments are skipped. */
export function allowLines(value: string): Permission[] {
  const permissions: Permission[] = [];
  for (const [index, raw] of value.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    try {
      permissions.push(parseAllow(line));
    } catch (error) {
      if (error instanceof UsageError)
        throw new UsageError(`input "allow", line ${index + 1}: ${error.message}`);
      throw error;
    }
  }
  return permissions;
}

function optionalDuration(value: string, name: string): number | undefined {
  if (!value) return undefined;
  try {
    return parseDuration(value);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`input "${name}": ${error.message}`);
    throw error;
  }
}

function booleanInput(value: string, name: string, fallback: boolean): boolean {
  if (!value) return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new UsageError(`input "${name}" must be true or false, got "${value}"`);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The GitHub run, recorded with the request so approvers can open it (plain text, at most 256 characters). */
export function runContext(env: Record<string, string | undefined>): Record<string, string> {
  const context: Record<string, string> = {};
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB } = env;
  if (GITHUB_SERVER_URL && GITHUB_REPOSITORY && GITHUB_RUN_ID) {
    const attempt = GITHUB_RUN_ATTEMPT ? `/attempts/${GITHUB_RUN_ATTEMPT}` : '';
    const url = `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}${attempt}`;
    if (url.length <= 256 && /^https?:\/\/[\x21-\x7e]+$/.test(url)) context['github.run_url'] = url;
  }
  if (GITHUB_JOB && /^[\x20-\x7e]{1,256}$/.test(GITHUB_JOB)) context['github.job'] = GITHUB_JOB;
  return context;
}

/** The default reason when the workflow gives none: which repository, workflow run and job. */
export function defaultReason(env: Record<string, string | undefined>): string {
  const parts = [
    env.GITHUB_REPOSITORY,
    env.GITHUB_WORKFLOW && `workflow "${env.GITHUB_WORKFLOW}"`,
    env.GITHUB_RUN_ID && `run ${env.GITHUB_RUN_ID}`,
    env.GITHUB_JOB && `job ${env.GITHUB_JOB}`,
  ].filter(Boolean);
  return `GitHub Actions${parts.length ? `: ${parts.join(', ')}` : ''}`.slice(0, 500);
}

/** The request body from the inputs alone (the `profile` input given). */
export function bodyFromInputs(
  inputs: ActionInputs & { profile: string },
  env: Record<string, string | undefined>,
): RequestBody {
  const context = runContext(env);
  return {
    profile: inputs.profile,
    ...(inputs.permissions.length ? { permissions: inputs.permissions } : {}),
    ...(inputs.durationSeconds === undefined ? {} : { durationSeconds: inputs.durationSeconds }),
    ...(inputs.windowSeconds === undefined ? {} : { windowSeconds: inputs.windowSeconds }),
    reason: inputs.reason ?? defaultReason(env),
    ...(Object.keys(context).length ? { context } : {}),
  };
}
