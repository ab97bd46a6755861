import { randomUUID } from 'node:crypto';
import { type Command, Option } from 'commander';
import type { ApiClient } from '../api-client.ts';
import type { Credentials, RequestBody, RequestView } from '../api-types.ts';
import { parseDuration } from '../args.ts';
import { type CachedCredentials, cacheDir, cacheKey, DEFAULT_REFRESH_BEFORE_MS } from '../cache.ts';
import type { CliContext } from '../context.ts';
import { credentialProcessCredentials } from '../credential-process.ts';
import { ApiError, ExitCode, InterruptedError } from '../errors.ts';
import {
  CREDENTIAL_FORMATS,
  type CredentialFormat,
  formatCredentials,
  formatJson,
  sanitize,
} from '../format.ts';
import { waitUntilIssued } from '../wait.ts';
import {
  addRequestBodyOptions,
  commanderParser,
  type RequestBodyOptions,
  resolveRequestBody,
  sendBody,
} from './request-options.ts';

interface RequestOptions extends RequestBodyOptions {
  wait?: boolean;
  format: CredentialFormat;
  idempotencyKey?: string;
  waitTimeout?: number;
  cache: boolean;
  /** credential-process: seconds; cached credentials are handed out while more than this remains */
  refreshBefore?: number;
  /** credential-process: where the cache lives (default $XDG_CACHE_HOME/jitvend) */
  cacheDir?: string;
}

const CANCEL_ON_INTERRUPT_TIMEOUT_MS = 5_000;
const CREDENTIALS_NOT_READY_RETRIES = 3;
const CREDENTIALS_NOT_READY_PAUSE_MS = 1_000;

export function registerRequest(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  const command = program
    .command('request')
    .summary('request access; with --wait, wait for approval and print the credentials')
    .description(
      'Request access to a profile. Prints the request id; with --wait, waits for approval\n' +
        '(status line on stderr) and prints the credentials on stdout, e.g.\n' +
        '  eval "$(jitvend request --profile orders-it --allow dynamodb:Query=arn:aws:dynamodb:... --reason IT --wait)"',
    );
  addRequestBodyOptions(command, { reasonRequired: true })
    .option('--wait', 'wait for approval and print the credentials (implied by --format credential-process)')
    .addOption(
      new Option('--format <format>', 'output: env (shell exports), json, credential-process (AWS SDK JSON)')
        .choices(CREDENTIAL_FORMATS)
        .default('env'),
    )
    .option(
      '--idempotency-key <key>',
      'sent as Idempotency-Key: the same key returns the same request (default: random)',
    )
    .addOption(
      new Option(
        '--wait-timeout <duration>',
        'stop waiting after this long (exit 6); the request stays',
      ).argParser(commanderParser<number>((value) => parseDuration(value))),
    )
    .option('--no-cache', 'credential-process: always make a new request, ignore cached credentials')
    .addOption(
      new Option(
        '--refresh-before <duration>',
        'credential-process: hand out cached credentials only while more than this remains, then renew (default 10m; the AWS SDKs treat under 5m as expired)',
      ).argParser(commanderParser<number>((value) => parseDuration(value))),
    )
    .option(
      '--cache-dir <path>',
      'credential-process: the cache directory (default $XDG_CACHE_HOME/jitvend, else ~/.cache/jitvend)',
    )
    .action(async (options: RequestOptions) => done(await runRequest(options, context())));
}

export async function runRequest(options: RequestOptions, context: CliContext): Promise<number> {
  const { io } = context;
  const body = await resolveRequestBody(options, context);
  if (options.format === 'credential-process' && options.cache) {
    const cache = {
      dir: options.cacheDir ?? cacheDir(io.env, io.homeDir),
      key: cacheKey({
        api: context.api,
        profile: body.profile,
        permissions: body.permissions,
        durationSeconds: body.durationSeconds,
        windowSeconds: body.windowSeconds,
      }),
      refreshBeforeMs:
        options.refreshBefore === undefined ? DEFAULT_REFRESH_BEFORE_MS : options.refreshBefore * 1000,
    };
    const entry = await credentialProcessCredentials(
      cache,
      () => context.client(),
      () => requestAndWait(body, options, context),
      io,
    );
    io.stdout.write(formatCredentials(entry.credentials, options.format, entry.requestId));
    return ExitCode.ok;
  }
  if (!(options.wait || options.format === 'credential-process')) {
    const created = await create(body, options, context);
    io.stdout.write(options.format === 'json' ? formatJson(created) : `${created.id}\n`);
    return ExitCode.ok;
  }
  const made = await requestAndWait(body, options, context);
  io.stdout.write(formatCredentials(made.credentials, options.format, made.requestId));
  return ExitCode.ok;
}

async function create(body: RequestBody, options: RequestOptions, context: CliContext): Promise<RequestView> {
  const client = context.client();
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  const created = await sendBody(body, (b) => client.createRequest(b, idempotencyKey));
  context.io.stderr.write(
    `jitvend: request ${sanitize(created.id)} created (profile ${sanitize(created.profile)})\n`,
  );
  return created;
}

/** Creates the request, waits until it is issued, fetches its credentials: what the cache keeps. */
async function requestAndWait(
  body: RequestBody,
  options: RequestOptions,
  context: CliContext,
): Promise<CachedCredentials> {
  const client = context.client();
  const created = await create(body, options, context);
  const issued = await waitOrCancel(client, created, options, context);
  const credentials = await fetchCredentials(client, issued.id, context);
  const windowEnd = issued.windowEndsAt;
  context.io.stderr.write(
    `jitvend: credentials for request ${sanitize(issued.id)} valid until ${sanitize(credentials.expiration)}` +
      (windowEnd && windowEnd > credentials.expiration
        ? `; renew them until ${sanitize(windowEnd)} (jitvend renew ${sanitize(issued.id)})\n`
        : '\n'),
  );
  return { requestId: issued.id, credentials, ...(windowEnd ? { windowEndsAt: windowEnd } : {}) };
}

/**
 * Waits for the request to be issued. If the CLI is interrupted (Ctrl-C, or the CI job
 * cancelled) before that, the request is cancelled so approvers are not asked for a run
 * that is gone.
 */
async function waitOrCancel(
  client: ApiClient,
  created: RequestView,
  options: RequestOptions,
  context: CliContext,
): Promise<RequestView> {
  try {
    return await waitUntilIssued(client, created, {
      io: context.io,
      waitTimeoutSeconds: options.waitTimeout,
    });
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    const id = sanitize(created.id);
    try {
      await context.clientWith(AbortSignal.timeout(CANCEL_ON_INTERRUPT_TIMEOUT_MS)).cancel(created.id);
      throw new InterruptedError(`interrupted: request ${id} cancelled`);
    } catch (cancelError) {
      if (cancelError instanceof InterruptedError) throw cancelError;
      const why = cancelError instanceof Error ? sanitize(cancelError.message) : 'unknown error';
      throw new InterruptedError(`interrupted: request ${id} could not be cancelled (${why})`);
    }
  }
}

/** Fetches the credentials once; a 409 right after `issued` (a race in the API) is retried briefly. */
export async function fetchCredentials(
  client: ApiClient,
  id: string,
  context: CliContext,
): Promise<Credentials> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.fetchCredentials(id);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409 && attempt <= CREDENTIALS_NOT_READY_RETRIES))
        throw error;
      await context.io.sleep(CREDENTIALS_NOT_READY_PAUSE_MS, context.io.signal);
    }
  }
}
