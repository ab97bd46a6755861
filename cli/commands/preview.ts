import { type Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import { ExitCode } from '../errors.ts';
import { formatJson, formatPreview } from '../format.ts';
import {
  addRequestBodyOptions,
  type RequestBodyOptions,
  resolveRequestBody,
  sendBody,
} from './request-options.ts';

interface PreviewOptions extends RequestBodyOptions {
  format: 'text' | 'json';
}

export function registerPreview(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  const command = program
    .command('preview')
    .description('show the session policy and the approval route a request would get; creates nothing');
  addRequestBodyOptions(command, { reasonRequired: false })
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .action(async (options: PreviewOptions) => {
      const { io } = context();
      const body = await resolveRequestBody(options, context(), 'preview');
      const preview = await sendBody(body, (b) => context().client().preview(b));
      io.stdout.write(options.format === 'json' ? formatJson(preview) : formatPreview(preview));
      done(ExitCode.ok);
    });
}
