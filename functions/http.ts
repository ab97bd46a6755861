/**
 * The HTTP edge: turns API Gateway (HTTP API, payload 2.0) events into use-case calls and
 * results into responses. The one place where domain errors become problem+json.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { MAX_BODY_BYTES } from '../shared/api/limits.ts';
import { problemTitle, problemType, STATUS_BY_KIND } from '../shared/api/problems.ts';
import {
  DomainError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../shared/domain/errors.ts';
import { ID_PATTERN, MAX_ID_CHARS } from '../shared/domain/limits.ts';
import type { Logger, TokenVerifier } from '../shared/domain/ports.ts';
import type { Principal } from '../shared/domain/types.ts';
import { describeIssues } from '../shared/zod-issues.ts';
import { lazily } from './lazily.ts';
import { type AwsWiringOptions, awsRuntimeOnce, type Runtime, withLambdaContext } from './runtime.ts';

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;
/** A route's handler: what Lambda invokes, and what the local server calls. */
export type ApiHandler = (event: ApiEvent, context?: Context) => Promise<ApiResult>;

/**
 * AWS answers that mean "too much right now" and that outlasted the SDK's own retries
 * (DynamoDB: ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded;
 * any service: the SDK's `$retryable.throttling`). The caller may retry: a 503, never a 500.
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Throttling',
]);

function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return THROTTLING.has(error.name) || retryable?.throttling === true;
}

/** How long a caller told 503 should wait before trying again. */
const RETRY_AFTER_SECONDS = '2';

/** The answer when a route is still working as its time runs out. */
function timeoutResponse(): ApiResult {
  const result = problem(503, 'the request took too long to answer; try again');
  return { ...result, headers: { ...result.headers, 'retry-after': RETRY_AFTER_SECONDS } };
}

/** The body is over MAX_BODY_BYTES (API Gateway lets far more through to the function). */
export class BodyTooLargeError extends DomainError {
  override readonly name = 'BodyTooLargeError';
  readonly kind = 'too_large';
}

/** The body's size in bytes, decoded when base64, without decoding a body that is plainly too big. */
export function bodyBytes(event: Pick<ApiEvent, 'body' | 'isBase64Encoded'>): number {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.byteLength(raw, 'utf8');
  // base64: 4 characters per 3 bytes; an upper bound first, the exact size only when it matters
  if (raw.length > Math.ceil((MAX_BODY_BYTES * 4) / 3) + 8) return Math.floor((raw.length * 3) / 4);
  return Buffer.from(raw, 'base64').length;
}

function checkBodySize(event: ApiEvent): void {
  const bytes = bodyBytes(event);
  if (bytes > MAX_BODY_BYTES) {
    throw new BodyTooLargeError(`the body is ${bytes} bytes, over the limit of ${MAX_BODY_BYTES} (64 KiB)`);
  }
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): ApiResult {
  const title = problemTitle(status);
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
    },
    // the RFC 9457 members come last, so no extension member can overwrite them
    body: JSON.stringify({
      ...extra,
      type: problemType(status),
      title,
      status,
      detail,
    }),
  };
}

/** Maps any thrown value to a response; unexpected errors become a bare 500 with an id to find the log. */
export function errorResponse(error: unknown, runtime: { logger: Logger } | undefined): ApiResult {
  if (error instanceof TooManyRequestsError) {
    const result = problem(STATUS_BY_KIND[error.kind], error.message, error.extra);
    return { ...result, headers: { ...result.headers, 'retry-after': String(error.retryAfterSeconds) } };
  }
  if (error instanceof DomainError) return problem(STATUS_BY_KIND[error.kind], error.message, error.extra);
  const incident = randomUUID();
  if (isThrottling(error)) {
    runtime?.logger.warn('throttled by AWS', { incident, error: (error as Error).name });
    const result = problem(503, `the service is busy; try again (incident ${incident})`);
    return { ...result, headers: { ...result.headers, 'retry-after': RETRY_AFTER_SECONDS } };
  }
  runtime?.logger.error('unexpected error', {
    incident,
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return problem(500, `internal error (incident ${incident})`);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`${what}: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  return parsed.data;
}

export function header(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** `__proto__` is no data any schema names; zod would drop it silently: refuse it, wherever it is. */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new ValidationError('body: a key named __proto__ is not allowed');
  return value;
}

/** The JSON body, strictly: bad JSON is a 400, a non-JSON content type a 415, each saying so. */
export function jsonBody(event: ApiEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const type = header(event, 'content-type');
  if (type !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(
      `body: content-type must be application/json, got ${type.split(';')[0]}`,
    );
  }
  if (text.trim() === '') throw new ValidationError('body: a JSON object is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, refuseProtoKeys);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError('body: not valid JSON');
  }
  return parsed;
}

/** Ids in paths (shared/domain/limits.ts `ID_PATTERN`); anything else is a 400. */
export function pathParam(event: ApiEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined || !ID_PATTERN.test(value)) {
    throw new ValidationError(`path: ${name} is not a valid id (1 to ${MAX_ID_CHARS} of A-Z a-z 0-9 _ -)`);
  }
  return value;
}

/** What every route needs: where an unexpected error is logged. */
export interface RouteDeps {
  logger: Logger;
}

/** What a route for callers with a bearer token needs besides. */
export interface AuthedRouteDeps extends RouteDeps {
  verifier: TokenVerifier;
}

/** How long before the Lambda's time is up a route still working answers 503. */
const TIMEOUT_EARLY_MS = 5;

/**
 * The route's answer, or a 503 problem when it is still working as the Lambda's time runs out
 * (instead of the bare error Lambda would give). No timer without a Lambda context.
 */
async function beforeTimeout(
  work: Promise<ApiResult>,
  context: Parameters<ApiHandler>[1],
): Promise<ApiResult> {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const early = new Promise<ApiResult>((resolve) => {
    timer = setTimeout(() => resolve(timeoutResponse()), Math.max(0, remaining - TIMEOUT_EARLY_MS));
  });
  try {
    return await Promise.race([work, early]);
  } finally {
    clearTimeout(timer);
  }
}

/** A public route (no token). Every error it throws is mapped to a response here, once. */
export function publicRoute(deps: RouteDeps, fn: (event: ApiEvent) => Promise<ApiResult>): ApiHandler {
  return (event, context) => {
    const work = (async () => {
      try {
        // bounds first: nothing is decoded or parsed from a body over the limit
        checkBodySize(event);
        return await fn(event);
      } catch (error) {
        return errorResponse(error, deps);
      }
    })();
    return beforeTimeout(work, context);
  };
}

/** A route for callers with a verified bearer token. */
export function authedRoute(
  deps: AuthedRouteDeps,
  fn: (event: ApiEvent, principal: Principal) => Promise<ApiResult>,
): ApiHandler {
  return publicRoute(deps, async (event) => {
    // verify throws UnauthenticatedError for a missing, bad or untrusted token
    const principal = await deps.verifier.verify(header(event, 'authorization'));
    return fn(event, principal);
  });
}

/**
 * A route bound to the AWS wiring, built on its first invocation (see runtime.ts onAws). The
 * body's size is checked before: an oversized body gets its 413 without waking the wiring. A
 * wiring that failed answers a bare 500 and is built again by the next invocation.
 */
export function routeOnAws(
  make: (runtime: Runtime) => ApiHandler,
  options: AwsWiringOptions = {},
): ApiHandler {
  const runtime = awsRuntimeOnce(options);
  const route = lazily(async () => make(await runtime()));
  return async (event, context) => {
    let handler: ApiHandler;
    try {
      checkBodySize(event);
      handler = await route();
      await withLambdaContext(context);
    } catch (error) {
      return errorResponse(error, undefined);
    }
    return handler(event, context);
  };
}
