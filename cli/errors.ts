import type { RequestStatus } from './api-types.ts';

/**
 * Exit codes of the `jitvend` CLI. Documented in docs/cli.md: pipelines branch on them.
 * 10-16 mean the request itself ended without credentials.
 */
export const ExitCode = {
  ok: 0,
  /** a bug or an unexpected failure */
  internal: 1,
  /** bad flags or arguments */
  usage: 2,
  /** the API answered with an error (4xx/5xx); its problem detail is on stderr */
  api: 3,
  /** the API could not be reached */
  network: 4,
  /** no token could be found or fetched */
  token: 5,
  /** `--wait-timeout` passed while the request was still undecided */
  waitTimeout: 6,
  /** `audit verify`: the audit hash chain is broken */
  auditBroken: 7,
  /** the manifest (.jitvend.yml or --manifest) is missing or invalid; file, line and field on stderr */
  manifest: 8,
  denied: 10,
  timed_out: 11,
  cancelled: 12,
  failed: 13,
  revoked: 14,
  expired: 15,
  released: 16,
  /** interrupted (SIGINT/SIGTERM) */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The statuses that end a request without credentials for the waiting pipeline. */
export const FAILED_END_STATUSES = [
  'denied',
  'timed_out',
  'cancelled',
  'failed',
  'revoked',
  'expired',
  'released',
] as const;
export type FailedEndStatus = (typeof FAILED_END_STATUSES)[number];

export function isFailedEnd(status: RequestStatus): status is FailedEndStatus {
  return (FAILED_END_STATUSES as readonly string[]).includes(status);
}

/** An error the CLI reports as one line on stderr and turns into an exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A problem+json (or other non-2xx) answer from the jitvend API. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly problemType: string | undefined,
    hint?: string,
    /** the answer's `Retry-After` in seconds (a `429`), when it gave one */
    readonly retryAfterSeconds?: number,
  ) {
    super(`HTTP ${status} ${title}${detail ? `: ${detail}` : ''}${hint ? ` (${hint})` : ''}`, ExitCode.api);
  }
}

export class NetworkError extends CliError {
  override name = 'NetworkError';
  constructor(
    readonly url: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not reach ${url}: ${reason}`, ExitCode.network, options);
  }
}

export class TokenError extends CliError {
  override name = 'TokenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.token, options);
  }
}

/** The request ended in a status that gives no credentials. */
export class RequestEndedError extends CliError {
  override name = 'RequestEndedError';
  constructor(
    readonly requestId: string,
    readonly status: FailedEndStatus,
    readonly statusReason: string | undefined,
  ) {
    super(`request ${requestId} ${status}${statusReason ? `: ${statusReason}` : ''}`, ExitCode[status]);
  }
}

export class InterruptedError extends CliError {
  override name = 'InterruptedError';
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
  }
}
