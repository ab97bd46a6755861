import { type Command, Option } from 'commander';
import { MAX_WAIT_SECONDS } from '../api-client.ts';
import { parseWholeNumber } from '../args.ts';
import type { CliContext } from '../context.ts';
import { ExitCode } from '../errors.ts';
import { formatJson, formatViewSummary } from '../format.ts';
import { commanderParser } from './request-options.ts';

interface StatusOptions {
  format: 'json' | 'text';
  waitSeconds?: number;
}

export function registerStatus(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  program
    .command('status')
    .description('show a request (JSON, or a short summary with --format text)')
    .argument('<id>', 'request id')
    .addOption(new Option('--format <format>', 'output').choices(['json', 'text']).default('json'))
    .addOption(
      new Option(
        '--wait-seconds <n>',
        `hold the answer until the status changes, up to ${MAX_WAIT_SECONDS}s`,
      ).argParser(
        commanderParser<number>((value) => parseWholeNumber(value, { min: 1, max: MAX_WAIT_SECONDS })),
      ),
    )
    .action(async (id: string, options: StatusOptions) => {
      const { io } = context();
      const view = await context().client().getRequest(id, options.waitSeconds);
      io.stdout.write(options.format === 'text' ? formatViewSummary(view, io.now()) : formatJson(view));
      done(ExitCode.ok);
    });
}
