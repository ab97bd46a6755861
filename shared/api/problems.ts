/**
 * The one table from an error's kind to its HTTP status. The API's problem+json answers
 * (functions/http.ts `errorResponse`), the email approval pages (shared/web/approval-pages.ts)
 * and Slack's replies (which Slack always gets as 200, with the same words) all go through it,
 * so a refusal answers alike on every channel.
 */

import type { RefusalCode } from '../domain/approval.ts';
import { type ErrorKind, REFUSAL_KIND } from '../domain/errors.ts';

export const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
};

/** The status a refused decision gets, on the API and on the email page alike. */
export function refusalStatus(code: RefusalCode): number {
  return STATUS_BY_KIND[REFUSAL_KIND[code]];
}

/** The statuses a refused decision can get (for the OpenAPI document). */
export const DECISION_REFUSAL_STATUSES: readonly number[] = [
  ...new Set(Object.values(REFUSAL_KIND).map((kind) => STATUS_BY_KIND[kind])),
].sort();

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** RFC 9457 title of a status. */
export function problemTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** RFC 9457 `type` of a status: `urn:jitvend:problem:<title in kebab case>`. */
export function problemType(status: number): string {
  return `urn:jitvend:problem:${problemTitle(status).toLowerCase().replaceAll(' ', '-')}`;
}
