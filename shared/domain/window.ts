/**
 * Approval windows and renewals (SPEC.md, "Approval window" and `POST /requests/{id}/renew`).
 *
 * One approval covers a window, counted from the moment the request is issued: by default
 * one session long, at most the profile's `maxWindowSeconds` (never above 12 hours). Inside
 * the window the requester renews: each renewal is a new AssumeRole session of at most the
 * request's duration (an hour at most: STS's role-chaining cap), never past the window's end.
 * STS issues no session shorter than 15 minutes, so a window with less than that left cannot
 * be renewed: the pipeline makes a new request.
 *
 * Pure: the renew use case and the workflow's Expire step apply these on an injected clock.
 */
import { MIN_SESSION_DURATION_SECONDS as MIN_DURATION_SECONDS } from './session.ts';
import type { AccessRequest } from './types.ts';

/** The longest window a profile may allow (12 hours). */
export const MAX_WINDOW_SECONDS = 43_200;
/** A renewal within this long of the last delivery or renewal is refused `429`. */
export const RENEW_INTERVAL_MS = 60_000;

/** The window a request asks for: `windowSeconds`, else one session (its duration). */
export function windowSecondsOf(
  request: Pick<AccessRequest, 'durationSeconds'> & { windowSeconds?: number },
): number {
  return request.windowSeconds ?? request.durationSeconds;
}

/** When a window that starts at `issuedAt` ends (ISO, whole seconds as STS gives them). */
export function windowEndsAt(issuedAt: string, windowSeconds: number): string {
  return new Date(new Date(issuedAt).getTime() + windowSeconds * 1000).toISOString();
}

/**
 * The window end recorded when a request is issued: `issuedAt + windowSeconds` in whole
 * seconds (rounded down: a Step Functions Wait truncates milliseconds, and the approval never
 * lasts longer than asked), and never before the first session's expiry (a one-session window
 * ends exactly when its session does).
 */
export function windowEndAtIssue(
  request: Pick<AccessRequest, 'durationSeconds'> & { windowSeconds?: number },
  issuedAt: Date,
  firstExpiration: string,
): string {
  const end = Math.floor((issuedAt.getTime() + windowSecondsOf(request) * 1000) / 1000) * 1000;
  return new Date(Math.max(end, new Date(firstExpiration).getTime())).toISOString();
}

/**
 * When the workflow ends an issued request: its window's end, or for a request issued before
 * approval windows (no `windowEndsAt`) its session's expiry. Never before the latest session's
 * expiry.
 */
export function windowEndOf(expiresAt: string, windowEndsAt: string | undefined): string {
  return windowEndsAt !== undefined && new Date(windowEndsAt).getTime() >= new Date(expiresAt).getTime()
    ? windowEndsAt
    : expiresAt;
}

/** Why a renewal is refused, as the API answers it (checked in SPEC.md's order, after 403). */
export type RenewRefusal =
  | { status: 410; reason: string }
  | { status: 409; reason: string }
  | { status: 429; reason: string; retryAfterSeconds: number };

/** What a renewal of an issued request needs to know about it. */
export type RenewableRequest = Pick<
  AccessRequest,
  'id' | 'status' | 'durationSeconds' | 'credentialsDeliveredAt' | 'expiresAt'
> & { windowEndsAt?: string; lastRenewedAt?: string };

/**
 * Whether the requester may renew now, and if not, why: `410` once the window has ended (or
 * has less than STS's shortest session left) or the request was released, revoked or has
 * otherwise ended; `409` before the first delivery; `429` within a minute of the last
 * delivery or renewal. Undefined: renew, for `renewalSeconds(request, now)`.
 */
export function renewRefusal(request: RenewableRequest, now: Date): RenewRefusal | undefined {
  if (request.status === 'released' || request.status === 'revoked') {
    return { status: 410, reason: `request ${request.id} was ${request.status}: it cannot be renewed` };
  }
  if (request.status !== 'issued' && request.status !== 'approved' && request.status !== 'pending_approval') {
    return { status: 410, reason: `request ${request.id} is ${request.status}: it cannot be renewed` };
  }
  const windowEnd = request.windowEndsAt ?? request.expiresAt;
  if (request.status === 'issued' && windowEnd !== undefined) {
    const left = new Date(windowEnd).getTime() - now.getTime();
    if (left <= 0)
      return { status: 410, reason: `the window of request ${request.id} ended at ${windowEnd}` };
    if (left < MIN_DURATION_SECONDS * 1000) {
      return {
        status: 410,
        reason:
          `the window of request ${request.id} ends at ${windowEnd}, in less than ${MIN_DURATION_SECONDS / 60} minutes ` +
          "(STS's shortest session): make a new request",
      };
    }
  }
  if (request.status !== 'issued' || !request.credentialsDeliveredAt) {
    return {
      status: 409,
      reason: `request ${request.id} has not delivered its first credentials yet: fetch them before renewing`,
    };
  }
  const last = Math.max(
    new Date(request.credentialsDeliveredAt).getTime(),
    request.lastRenewedAt ? new Date(request.lastRenewedAt).getTime() : 0,
  );
  const wait = last + RENEW_INTERVAL_MS - now.getTime();
  if (wait > 0) {
    return {
      status: 429,
      reason: `request ${request.id} was delivered or renewed less than a minute ago: renew at most once a minute`,
      retryAfterSeconds: Math.ceil(wait / 1000),
    };
  }
  return undefined;
}

/**
 * How long the renewed session lasts: the request's duration, but never past the window's
 * end (whole seconds, rounded down, so the session never outlives the window).
 */
export function renewalSeconds(request: RenewableRequest, now: Date): number {
  const windowEnd = request.windowEndsAt ?? request.expiresAt;
  if (!windowEnd) return request.durationSeconds;
  const left = Math.floor((new Date(windowEnd).getTime() - now.getTime()) / 1000);
  return Math.max(MIN_DURATION_SECONDS, Math.min(request.durationSeconds, left));
}
