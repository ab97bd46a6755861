import { type Command, Option } from 'commander';
import type { RequestView } from '../api-types.ts';
import type { CliContext } from '../context.ts';
import { ExitCode } from '../errors.ts';
import { formatJson, formatViewSummary, sanitize } from '../format.ts';

interface ChangeOptions {
  format: 'json' | 'text';
}

/** `cancel` (requester, before issue), `release` (requester, after issue) and `revoke` (approver, after issue): one POST, the new view. */
export function registerChange(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
  name: 'cancel' | 'revoke' | 'release',
  description: string,
  change: (id: string, context: CliContext) => Promise<RequestView>,
): void {
  program
    .command(name)
    .description(description)
    .argument('<id>', 'request id')
    .addOption(new Option('--format <format>', 'output').choices(['json', 'text']).default('json'))
    .action(async (id: string, options: ChangeOptions) => {
      const { io } = context();
      const view = await change(id, context());
      io.stderr.write(`jitvend: request ${sanitize(view.id)} ${sanitize(view.status)}\n`);
      io.stdout.write(options.format === 'text' ? formatViewSummary(view, io.now()) : formatJson(view));
      done(ExitCode.ok);
    });
}
