import type { RefusalCode } from './approval.ts';
import type { RequestStatus } from './types.ts';

/**
 * What kind of refusal an error is. Each kind has exactly one HTTP status, in one table
 * (shared/api/problems.ts `STATUS_BY_KIND`), which the API, the email pages and Slack all use,
 * so every channel answers a refusal alike.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'too_many_requests';

/**
 * Domain errors. Each is a class with a `name` and a `kind`; exactly one table maps kinds to
 * HTTP statuses (shared/api/problems.ts). Messages are written for the user and never carry
 * secrets.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  /** extra machine-readable fields for the problem body */
  readonly extra: Record<string, unknown>;
  constructor(message: string, options?: { cause?: unknown; extra?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.extra = options?.extra ?? {};
  }
}

export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly kind = 'validation';
}

export class UnauthenticatedError extends DomainError {
  override readonly name = 'UnauthenticatedError';
  readonly kind = 'unauthenticated';
}

export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
  readonly kind = 'forbidden';
}

/** A requested permission lies outside the profile's guardrails (a 403 per SPEC.md). */
export class OutsideGuardrailsError extends DomainError {
  override readonly name = 'OutsideGuardrailsError';
  readonly kind = 'forbidden';
}

/** A requested action is a privilege-escalation action that the profile does not name. */
export class EscalationRefusedError extends DomainError {
  override readonly name = 'EscalationRefusedError';
  readonly kind = 'forbidden';
}

export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly kind = 'not_found';
}

/** The session policy would exceed STS's 2,048-character limit. */
export class PolicyTooLargeError extends DomainError {
  override readonly name = 'PolicyTooLargeError';
  readonly kind = 'validation';
}

/** A transition was attempted from a status that does not allow it (or lost a race). */
export class InvalidTransitionError extends DomainError {
  override readonly name = 'InvalidTransitionError';
  readonly kind = 'conflict';
  constructor(
    readonly requestId: string,
    readonly from: RequestStatus,
    readonly to: RequestStatus,
    message?: string,
  ) {
    super(message ?? `request ${requestId} is ${from} and cannot become ${to}`, {
      extra: { requestStatus: from },
    });
  }
}

/** Generic 409 (e.g. credentials asked for before issue). */
export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
  readonly kind = 'conflict';
}

/** 410: credentials already delivered, expired or revoked. */
export class GoneError extends DomainError {
  override readonly name = 'GoneError';
  readonly kind = 'gone';
}

/**
 * 429: asked again too soon (a renewal within a minute of the last delivery or renewal).
 * The API answers it with a `Retry-After` header of `retryAfterSeconds`.
 */
export class TooManyRequestsError extends DomainError {
  override readonly name = 'TooManyRequestsError';
  readonly kind = 'too_many_requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { extra?: Record<string, unknown> },
  ) {
    super(message, { extra: { ...options?.extra, retryAfterSeconds } });
  }
}

/** Issuing credentials failed; `retryable` marks throttling so the workflow retries. */
export class IssueError extends Error {
  override readonly name: string;
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = retryable ? 'IssueThrottledError' : 'IssueError';
  }
}

/** 422: well-formed but cannot be honoured, e.g. an Idempotency-Key reused with another body. */
export class UnprocessableError extends DomainError {
  override readonly name = 'UnprocessableError';
  readonly kind = 'unprocessable';
}

/** 415: a body sent as another media type than the route reads (JSON for the API, a form for the email page). */
export class UnsupportedMediaTypeError extends DomainError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly kind = 'unsupported_media_type';
}

/**
 * The kind of each refused decision (shared/domain/approval.ts `judgeDecision`), whatever the
 * channel: the API answers its status, the email page shows it, Slack tells the clicker why.
 */
export const REFUSAL_KIND = {
  not_pending: 'conflict',
  too_late: 'gone',
  unknown_person: 'forbidden',
  not_approver: 'forbidden',
  initiator: 'forbidden',
  requester: 'forbidden',
  duplicate: 'conflict',
  auto: 'conflict',
} as const satisfies Record<RefusalCode, ErrorKind>;

/** A decision the approval rules refused: nothing changed; `code` says which rule. */
export class DecisionRefusedError extends DomainError {
  override readonly name = 'DecisionRefusedError';
  readonly kind: ErrorKind;
  constructor(
    readonly code: RefusalCode,
    message: string,
    requestStatus: RequestStatus,
  ) {
    super(message, { extra: { code, requestStatus } });
    this.kind = REFUSAL_KIND[code];
  }
}

/** A conditional write lost a race: the request changed since it was read. */
export class ConcurrentUpdateError extends DomainError {
  override readonly name = 'ConcurrentUpdateError';
  readonly kind = 'conflict';
}
