import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.ts';
import { registerCancel } from './commands/cancel.ts';
import { registerLint } from './commands/lint.ts';
import { registerPreview } from './commands/preview.ts';
import { registerRelease } from './commands/release.ts';
import { registerRenew } from './commands/renew.ts';
import { registerReport } from './commands/report.ts';
import { registerRequest } from './commands/request.ts';
import { registerRevoke } from './commands/revoke.ts';
import { registerStatus } from './commands/status.ts';
import { CliContext, type GlobalOptions } from './context.ts';
import { CliError, ExitCode } from './errors.ts';
import { sanitize } from './format.ts';
import type { CliIo } from './io.ts';
import { VERSION } from './version.ts';

/**
 * Runs the CLI once: parses `argv` (without `node` and the script), does the command and
 * returns the exit code. Never calls process.exit and only uses `io`, so tests run it in-process.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const done = (code: number) => {
    exitCode = code;
  };
  const program = new Command('jitvend')
    .description('Just-in-time AWS credentials for CI pipelines (jitvend API client)')
    .version(VERSION)
    .option('--api <url>', 'jitvend API URL (env JITVEND_API, default http://127.0.0.1:8787)')
    .option(
      '--token-file <path>',
      'file holding the OIDC token (env JITVEND_TOKEN, JITVEND_TOKEN_FILE, or GitHub Actions OIDC)',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `\nExit codes: see docs/cli.md (0 ok, 2 usage, 3 API error or refusal, 4 unreachable, 5 no token,\n6 wait timeout, 7 audit chain broken, 8 manifest invalid, 10 denied, 11 timed_out, 12 cancelled,\n13 failed, 14 revoked, 15 expired, 16 released, 130 interrupted).\n`,
    );
  let context: CliContext | undefined;
  const getContext = () => {
    context ??= new CliContext(io, program.opts<GlobalOptions>());
    return context;
  };
  registerRequest(program, getContext, done);
  registerStatus(program, getContext, done);
  registerCancel(program, getContext, done);
  registerPreview(program, getContext, done);
  registerRelease(program, getContext, done);
  registerRenew(program, getContext, done);
  registerRevoke(program, getContext, done);
  registerAudit(program, getContext, done);
  registerReport(program, getContext, done);
  registerLint(program, getContext, done);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return report(error, io);
  }
}

/** One line on stderr per failure, never a stack trace, a token or a secret; returns the exit code. */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // commander has already written its message (or the help)
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof CliError) {
    io.stderr.write(`jitvend: ${sanitize(error.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  io.stderr.write(`jitvend: unexpected error: ${sanitize(message)}\n`);
  return ExitCode.internal;
}
