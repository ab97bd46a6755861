import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Permission, RequestBody } from '../api-types.ts';
import { parseAllow, parseContextEntry, parseDuration } from '../args.ts';
import { UsageError } from '../errors.ts';

/** The options that make a request body, shared by `request` and `preview`. */
export interface RequestBodyOptions {
  profile: string;
  allow: Permission[];
  duration?: number;
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
  return command
    .requiredOption('--profile <name>', 'profile to request (from the jitvend config)')
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
        '--reason <text>',
        `why the pipeline needs access${reasonRequired ? '' : ' (default: "preview")'}`,
      )
        .argParser(
          commanderParser<string>((value) => {
            if (!value.trim()) throw new UsageError('the reason must not be empty');
            return value;
          }),
        )
        .makeOptionMandatory(reasonRequired),
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

export function requestBodyFrom(options: RequestBodyOptions, defaultReason?: string): RequestBody {
  const reason = options.reason ?? defaultReason;
  if (reason === undefined) throw new UsageError('--reason is required');
  return {
    profile: options.profile,
    ...(options.allow.length ? { permissions: options.allow } : {}),
    ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
    reason,
    ...(Object.keys(options.context).length ? { context: options.context } : {}),
  };
}
