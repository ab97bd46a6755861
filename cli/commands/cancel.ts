import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerChange } from './change.ts';

export function registerCancel(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  registerChange(
    program,
    context,
    done,
    'cancel',
    'cancel your request before it is issued (409 once issued or ended)',
    (id, ctx) => ctx.client().cancel(id),
  );
}
