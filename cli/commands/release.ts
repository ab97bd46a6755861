import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerChange } from './change.ts';

export function registerRelease(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  registerChange(
    program,
    context,
    done,
    'release',
    'end your own issued request now, when the tests are done: its session is denied from now on (requester)',
    (id, ctx) => ctx.client().release(id),
  );
}
