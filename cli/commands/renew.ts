import { type Command, Option } from 'commander';
import type { ApiClient } from '../api-client.ts';
import type { Credentials } from '../api-types.ts';
import type { CliContext } from '../context.ts';
import { ApiError, CliError, ExitCode, isFailedEnd } from '../errors.ts';
import { CREDENTIAL_FORMATS, type CredentialFormat, formatCredentials, sanitize } from '../format.ts';

interface RenewOptions {
  format: CredentialFormat;
}

export function registerRenew(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  program
    .command('renew')
    .summary('a new session for your issued request, inside its approval window (requester)')
    .description(
      'Renew an issued request inside its approval window: a new session (at most an hour, never\n' +
        "past the window's end), printed like `request --wait` prints credentials, e.g.\n" +
        '  eval "$(jitvend renew "$JITVEND_REQUEST_ID")"\n' +
        'At most one renewal a minute; after the window, or once released or revoked, make a new request.',
    )
    .argument('<id>', 'request id')
    .addOption(
      new Option('--format <format>', 'output: env (shell exports), json, credential-process (AWS SDK JSON)')
        .choices(CREDENTIAL_FORMATS)
        .default('env'),
    )
    .action(async (id: string, options: RenewOptions) => {
      const { io } = context();
      const credentials = await renewOrExplain(context().client(), id, io.now());
      io.stdout.write(formatCredentials(credentials, options.format, id));
      io.stderr.write(
        `jitvend: request ${sanitize(id)} renewed: new session valid until ${sanitize(credentials.expiration)}\n`,
      );
      done(ExitCode.ok);
    });
}

/** `POST /requests/{id}/renew`, with its refusals said in words a pipeline's author can act on. */
async function renewOrExplain(client: ApiClient, id: string, now: number): Promise<Credentials> {
  try {
    return await client.renew(id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const safeId = sanitize(id);
    const detail = error.detail ? `: ${error.detail}` : '';
    switch (error.status) {
      case 410: {
        // the status says which: window over (expired), released or revoked
        const status = await client
          .getRequest(id)
          .then((view) => view.status)
          .catch(() => undefined);
        const ended = status && isFailedEnd(status) ? status : 'expired';
        throw new CliError(
          `request ${safeId} cannot be renewed any more (HTTP 410${detail}): its approval window is over, or it was released or revoked; make a new request`,
          ExitCode[ended],
          { cause: error },
        );
      }
      case 409:
        throw new CliError(
          `request ${safeId} cannot be renewed yet (HTTP 409${detail}): its first credentials must be delivered first (jitvend request --wait)`,
          ExitCode.api,
          { cause: error },
        );
      case 429: {
        const seconds = error.retryAfterSeconds ?? 60;
        const at = new Date(now + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        throw new CliError(
          `request ${safeId} was delivered or renewed less than a minute ago (HTTP 429): renew again at ${at} (in ${seconds}s)`,
          ExitCode.api,
          { cause: error },
        );
      }
      default:
        throw error;
    }
  }
}
