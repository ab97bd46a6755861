/**
 * For a window longer than one session (SPEC.md "GitHub Action"): an AWS config file whose
 * profile's `credential_process` runs the CLI bundled beside the action (action/dist/jitvend.cjs),
 * with the request written as a manifest and a cache seeded with the first session. The AWS
 * SDKs and CLI then call it whenever the session nears its end: it hands out the cached session
 * while more than 10 minutes remain, renews the same request inside its window, and makes a new
 * request only after it. The job's later renewals take the job's OIDC token through
 * `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`, which the runner gives every step of a job with
 * `permissions: id-token: write`. Everything lives in one 0700 directory under RUNNER_TEMP; the
 * post step deletes it.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestBody } from '../../cli/api-types.ts';
import { type CachedCredentials, cacheKey, writeCachedCredentials } from '../../cli/cache.ts';
import { UsageError } from '../../cli/errors.ts';

/** The profile the action writes and exports as AWS_PROFILE. */
export const PROFILE_NAME = 'jitvend';

export interface RenewingProfile {
  /** the 0700 directory holding the config, the request manifest and the cache */
  dir: string;
  /** exported as AWS_CONFIG_FILE */
  configFile: string;
  /** the `credential_process` command line written in the profile */
  command: string;
}

export interface RenewingProfileInput {
  /** RUNNER_TEMP (cleaned by the runner after the job) */
  parentDir: string;
  /** the API URL, as the CLI's `--api` */
  api: string;
  /** the body the request was made with: the profile's credential_process asks the same */
  body: RequestBody;
  /** the first session, its request and its window: the cache's first entry */
  first: CachedCredentials;
  /** the node binary that runs the CLI (the runner's own: process.execPath) */
  node: string;
  /** the CLI bundle (action/dist/jitvend.cjs) */
  cli: string;
}

/** Writes the directory and returns where things are; nothing in it holds the OIDC token. */
export async function writeRenewingProfile(input: RenewingProfileInput): Promise<RenewingProfile> {
  const dir = await mkdtemp(join(input.parentDir, 'jitvend-'));
  const manifest = join(dir, 'request.json');
  const cacheDir = join(dir, 'cache');
  const configFile = join(dir, 'aws-config');
  const { body } = input;
  // JSON is YAML: the CLI reads it as a manifest. `${` would be substituted there: escaped.
  const manifestText = JSON.stringify(
    {
      profile: body.profile,
      ...(body.permissions ? { permissions: body.permissions } : {}),
      ...(body.durationSeconds === undefined ? {} : { duration: body.durationSeconds }),
      ...(body.windowSeconds === undefined ? {} : { window: body.windowSeconds }),
      reason: body.reason,
      ...(body.context ? { context: body.context } : {}),
    },
    null,
    2,
  ).replaceAll('${', () => '$${'); // a function: in a replacement string `$$` would mean `$`
  await writeFile(manifest, `${manifestText}\n`, { mode: 0o600 });
  await mkdir(cacheDir, { mode: 0o700 });
  await writeCachedCredentials(
    cacheDir,
    cacheKey({
      api: input.api,
      profile: body.profile,
      permissions: body.permissions,
      durationSeconds: body.durationSeconds,
      windowSeconds: body.windowSeconds,
    }),
    input.first,
  );
  const command = [
    input.node,
    input.cli,
    '--api',
    input.api,
    'request',
    '--manifest',
    manifest,
    '--cache-dir',
    cacheDir,
    '--format',
    'credential-process',
  ]
    .map(quoteArgument)
    .join(' ');
  await writeFile(
    configFile,
    [
      `# written by the jitvend GitHub Action for request ${input.first.requestId}: sessions renewed inside the`,
      `# approval window (until ${input.first.windowEndsAt ?? 'its end'}); docs/pipelines.md`,
      `[profile ${PROFILE_NAME}]`,
      `credential_process = ${command}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { dir, configFile, command };
}

/**
 * One argument of a `credential_process` line, read the same way by the AWS CLI (Python's
 * shlex) and by the JavaScript SDK (a shell): plain when it is plain, else in double quotes. A
 * character that the two read differently inside double quotes is refused, not guessed at.
 */
export function quoteArgument(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  if (/["$`\\\p{Cc}]/u.test(value))
    throw new UsageError(
      `cannot write "${value}" into a credential_process line (it holds a quote, $, \`, \\ or a control character)`,
    );
  return `"${value}"`;
}
