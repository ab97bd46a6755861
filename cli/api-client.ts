import type { Credentials, PreviewView, Problem, RequestBody, RequestView } from './api-types.ts';
import { ApiError, InterruptedError, NetworkError, UsageError } from './errors.ts';
import { sanitize } from './format.ts';
import type { CliIo } from './io.ts';
import { describeTokenSource, type TokenProvider } from './token.ts';

export const DEFAULT_API = 'http://127.0.0.1:8787';
/** The API holds a `GET /requests/{id}?waitSeconds=N` for at most this long. */
export { MAX_WAIT_SECONDS } from '../shared/api/limits.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 10_000;

export interface ApiClientOptions {
  baseUrl: string;
  tokens: TokenProvider;
  io: Pick<CliIo, 'fetch' | 'sleep' | 'signal'>;
  userAgent: string;
  /** told about each retry, to say on stderr why the CLI is not done yet */
  onRetry?: (message: string) => void;
}

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** safe to send again after a network error, a 5xx or a 429 */
  retry: boolean;
  timeoutMs?: number;
}

/** Parses and checks `--api` / `JITVEND_API`; returns it without a trailing slash. */
export function parseApiUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`API URL "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`API URL "${value}" must be http:// or https://`);
  if (url.username || url.password) throw new UsageError('API URL must not carry credentials');
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

export function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * The jitvend HTTP API. Every call carries the bearer token; reads, previews and creates
 * (which always carry an Idempotency-Key) are retried on network errors, 5xx and 429;
 * a 401 fetches a fresh token once when the token source can give one.
 */
export class ApiClient {
  private readonly base: string;

  constructor(private readonly options: ApiClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  createRequest(body: RequestBody, idempotencyKey: string): Promise<RequestView> {
    return this.call<RequestView>('POST', '/requests', {
      body,
      headers: { 'idempotency-key': idempotencyKey },
      retry: true,
    });
  }

  preview(body: RequestBody): Promise<PreviewView> {
    return this.call<PreviewView>('POST', '/requests/preview', { body, retry: true });
  }

  /** With `waitSeconds`, the API holds the answer until the status changes or the time passes. */
  getRequest(id: string, waitSeconds?: number): Promise<RequestView> {
    const query = waitSeconds ? `?waitSeconds=${waitSeconds}` : '';
    return this.call<RequestView>('GET', `/requests/${encodeURIComponent(id)}${query}`, {
      retry: true,
      timeoutMs: DEFAULT_TIMEOUT_MS + (waitSeconds ?? 0) * 1000,
    });
  }

  /** Delivered once: never retried, a second call gets 410. */
  fetchCredentials(id: string): Promise<Credentials> {
    return this.call<Credentials>('POST', `/requests/${encodeURIComponent(id)}/credentials`, {
      retry: false,
    });
  }

  /**
   * POST /requests/{id}/renew: a new session inside the request's approval window. Never
   * retried (a 429 says when it may be asked again: ApiError.retryAfterSeconds).
   */
  renew(id: string): Promise<Credentials> {
    return this.call<Credentials>('POST', `/requests/${encodeURIComponent(id)}/renew`, { retry: false });
  }

  cancel(id: string): Promise<RequestView> {
    return this.call<RequestView>('POST', `/requests/${encodeURIComponent(id)}/cancel`, { retry: false });
  }

  /** POST /requests/{id}/release: the requester ends its own issued request now (`released`). */
  release(id: string): Promise<RequestView> {
    return this.call<RequestView>('POST', `/requests/${encodeURIComponent(id)}/release`, { retry: false });
  }

  revoke(id: string): Promise<RequestView> {
    return this.call<RequestView>('POST', `/requests/${encodeURIComponent(id)}/revoke`, { retry: false });
  }

  audit(id: string): Promise<unknown> {
    return this.call<unknown>('GET', `/requests/${encodeURIComponent(id)}/audit`, { retry: true });
  }

  /** GET /requests/{id}/usage: the session's AWS calls from CloudTrail against the grant. */
  usage(id: string): Promise<unknown> {
    return this.call<unknown>('GET', `/requests/${encodeURIComponent(id)}/usage`, { retry: true });
  }

  private async call<T>(method: string, path: string, options: CallOptions): Promise<T> {
    const url = `${this.base}${path}`;
    const { io, tokens } = this.options;
    let renewedToken = false;
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.token();
      const signals = [AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)];
      if (io.signal) signals.push(io.signal);
      let response: Response;
      try {
        response = await io.fetch(url, {
          method,
          headers: {
            accept: 'application/json, application/problem+json',
            authorization: `Bearer ${token}`,
            'user-agent': this.options.userAgent,
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.any(signals),
        });
      } catch (error) {
        if (io.signal?.aborted) throw new InterruptedError();
        if (options.retry && attempt < MAX_ATTEMPTS) {
          const pause = backoff(attempt);
          this.options.onRetry?.(
            `${method} ${url} failed (${networkReason(error, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)}), retrying in ${pause / 1000}s`,
          );
          await io.sleep(pause, io.signal);
          if (io.signal?.aborted) throw new InterruptedError();
          continue;
        }
        throw new NetworkError(url, networkReason(error, options.timeoutMs ?? DEFAULT_TIMEOUT_MS), {
          cause: error,
        });
      }
      if (response.status === 401 && !renewedToken && tokens.invalidate()) {
        renewedToken = true;
        await response.body?.cancel();
        continue;
      }
      if (options.retry && attempt < MAX_ATTEMPTS && (response.status >= 500 || response.status === 429)) {
        await response.body?.cancel();
        const pause = retryAfter(response) ?? backoff(attempt);
        this.options.onRetry?.(
          `${method} ${url} answered HTTP ${response.status}, retrying in ${pause / 1000}s`,
        );
        await io.sleep(pause, io.signal);
        if (io.signal?.aborted) throw new InterruptedError();
        continue;
      }
      if (!response.ok)
        throw await toApiError(
          response,
          response.status === 401 ? `token from ${describeTokenSource(tokens.source)}` : undefined,
        );
      try {
        return (await response.json()) as T;
      } catch (error) {
        throw new NetworkError(url, `HTTP ${response.status} with a body that is not JSON`, { cause: error });
      }
    }
  }
}

function backoff(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
}

function retryAfter(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? Math.min(value * 1000, BACKOFF_MAX_MS) : undefined;
}

/** e.g. `connect ECONNREFUSED 127.0.0.1:8787`, from the error undici wraps in `fetch failed`. */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `no answer within ${timeoutMs / 1000}s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return sanitize(cause?.message || cause?.code || (error as Error).message || 'network error');
}

/** A non-2xx answer: the problem+json `title`/`detail` when there is one, else the HTTP status line. */
async function toApiError(response: Response, hint?: string): Promise<ApiError> {
  const contentType = response.headers.get('content-type') ?? '';
  let problem: Problem = {};
  if (/json/i.test(contentType)) {
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (body && typeof body === 'object') problem = body as Problem;
  } else {
    // a proxy's HTML or text page: not shown, it says nothing about jitvend
    await response.body?.cancel();
  }
  const title = typeof problem.title === 'string' ? problem.title : response.statusText || 'error';
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
  const retryAfterSeconds = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    sanitize(title),
    detail === undefined ? undefined : sanitize(detail),
    typeof problem.type === 'string' ? sanitize(problem.type) : undefined,
    hint,
    Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds : undefined,
  );
}
