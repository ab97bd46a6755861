import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Permission, RequestBody } from '../api-types.ts';
import { parseAllow, parseContextEntry, parseDuration } from '../args.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { explainWindowRefusal, loadManifest, MANIFEST_FILE, requestBodyFromManifest } from '../manifest.ts';

/** The options that make a request body, shared by `request` and `preview`. */
export interface RequestBodyOptions {
  /** without it, the manifest gives the profile (and the rest) */
  profile?: string;
  manifest?: string;
  allow: Permission[];
  duration?: number;
  /** `--window`: how long one approval lasts (sent as windowSeconds) */
  window?: number;
  reason?: string;
  context: Record<string, string>;
}

/** Turns a parser's UsageError into commander's error, so it is reported like any bad option. */
export function commanderParser<T>(
  parse: (value: string, previous: T) => T,
): (value: string, previous: T) => T {
  return (value, previous) => {
    try {
      return parse(value, previous);
    } catch (error) {
      if (error instanceof UsageError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

export function addRequestBodyOptions(
  command: Command,
  { reasonRequired }: { reasonRequired: boolean },
): Command {
  // a request's reason is required, but the manifest may give it: checked when the body is built
  return command
    .option(
      '--profile <name>',
      `profile to request (from the jitvend config); without it, the manifest (${MANIFEST_FILE}) says what to request`,
    )
    .option(
      '--manifest <path>',
      `read the request from this manifest (default: ${MANIFEST_FILE} in the working directory when --profile is not given); flags override its fields`,
    )
    .addOption(
      new Option(
        '--allow <actions=resources>',
        'permissions needed, repeatable: comma-separated actions = comma-separated resource ARNs',
      )
        .argParser(commanderParser<Permission[]>((value, previous) => [...previous, parseAllow(value)]))
        .default([], 'the whole profile'),
    )
    .addOption(
      new Option(
        '--duration <duration>',
        "session length: 900, 900s, 15m, 1h, 1h30m (default: the profile's)",
      ).argParser(commanderParser<number>((value) => parseDuration(value))),
    )
    .addOption(
      new Option(
        '--window <duration>',
        "how long one approval lasts, renewed session by session inside it: 2h, 8h (default: one session; at most the profile's maxWindowSeconds)",
      ).argParser(commanderParser<number>((value) => parseDuration(value))),
    )
    .addOption(
      new Option(
        '--reason <text>',
        `why the pipeline needs access${reasonRequired ? ' (required, unless the manifest gives it)' : ' (default: the manifest\'s, else "preview")'}`,
      ).argParser(
        commanderParser<string>((value) => {
          if (!value.trim()) throw new UsageError('the reason must not be empty');
          return value;
        }),
      ),
    )
    .addOption(
      new Option('--context <key=value>', 'extra context recorded with the request, repeatable')
        .argParser(
          commanderParser<Record<string, string>>((value, previous) => {
            const [key, entry] = parseContextEntry(value);
            return { ...previous, [key]: entry };
          }),
        )
        .default({}, 'none'),
    );
}

/**
 * The body to send: from the flags alone when `--profile` is given without `--manifest`;
 * else from the manifest (`--manifest PATH`, or `.jitvend.yml` in the working directory),
 * each flag given overriding its field.
 */
export async function resolveRequestBody(
  options: RequestBodyOptions,
  context: CliContext,
  defaultReason?: string,
): Promise<RequestBody> {
  if (options.profile !== undefined && options.manifest === undefined)
    return requestBodyFrom({ ...options, profile: options.profile }, defaultReason);
  const cwd = context.io.cwd ?? process.cwd();
  const manifest = await loadManifest({ path: options.manifest, cwd, env: context.io.env });
  if (!manifest)
    throw new UsageError(
      `--profile is required: there is no ${MANIFEST_FILE} in ${cwd} (or give --manifest PATH)`,
    );
  return requestBodyFromManifest(
    manifest,
    {
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      permissions: options.allow,
      ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
      ...(options.window === undefined ? {} : { windowSeconds: options.window }),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      context: options.context,
    },
    defaultReason === undefined ? {} : { reason: defaultReason },
  );
}

/** Sends a body; a server without approval windows refusing `windowSeconds` gets a clear error naming it. */
export function sendBody<T>(body: RequestBody, send: (body: RequestBody) => Promise<T>): Promise<T> {
  return explainWindowRefusal(body, send);
}

export function requestBodyFrom(
  options: RequestBodyOptions & { profile: string },
  defaultReason?: string,
): RequestBody {
  const reason = options.reason ?? defaultReason;
  if (reason === undefined) throw new UsageError("error: required option '--reason <text>' not specified");
  return {
    profile: options.profile,
    ...(options.allow.length ? { permissions: options.allow } : {}),
    ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
    ...(options.window === undefined ? {} : { windowSeconds: options.window }),
    reason,
    ...(Object.keys(options.context).length ? { context: options.context } : {}),
  };
}
