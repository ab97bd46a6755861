import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerChange } from './change.ts';

export function registerRevoke(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  registerChange(
    program,
    context,
    done,
    'revoke',
    'revoke an issued session before it expires (approvers)',
    (id, ctx) => ctx.client().revoke(id),
  );
}
