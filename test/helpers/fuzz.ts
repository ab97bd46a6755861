/**
 * The fuzz suites' shared machinery: the seed (fixed, printed, `FUZZ_SEED` overrides), the
 * judge of one answer (never a 5xx, a stack trace or a secret; 4xx answers are problem
 * documents), and a runner that plays many generated inputs concurrently and, on failure,
 * replays the same seed through fast-check to print a shrunk counterexample.
 */
import fc from 'fast-check';
import type { RawRequest, RawResponse } from './in-process-dispatch.ts';

/** The fixed seed of the fuzz suites; `FUZZ_SEED=<integer>` replays another run. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_129;
/** inputs per route in process (`FUZZ_RUNS` changes it, e.g. for a longer soak) */
export const FUZZ_RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 10_000;
/** inputs per route over a real TCP socket */
export const FUZZ_HTTP_RUNS = process.env.FUZZ_HTTP_RUNS ? Number(process.env.FUZZ_HTTP_RUNS) : 300;

/** Stack-trace shapes: `    at fn (file.ts:1:2)`, `node:internal`, `file.ts:12:3`. */
const STACK_TRACE =
  /\n\s+at [^\n]+:\d+:\d+|\bat (?:async )?[\w$.<>]+ \([^)]*:\d+:\d+\)|node:internal\/|\.(?:ts|js|mjs):\d+:\d+/;
/** AWS access key ids (long-term and session) */
const ACCESS_KEY_ID = /\b(?:ASIA|AKIA)[A-Z0-9]{16}\b/;
/** the local STS stand-in's session tokens */
const LOCAL_SESSION_TOKEN = /jitvend-local-[A-Za-z0-9_-]{40,}/;
/** a credentials document's secret (the OpenAPI document names the field, with no value) */
const SECRET_ACCESS_KEY = /"(?:secretAccessKey|sessionToken)"\s*:\s*"[^"]{16,}"/;

export interface JudgeContext {
  /** exact strings that must never appear in any answer (signing secrets, keys, task tokens, delivered credentials) */
  secrets: readonly string[];
  /** true when this answer may carry credentials (the owner's first credentials fetch, a renewal) */
  mayCarryCredentials?: boolean;
  /** the route answers HTML pages (email approval links): 4xx need not be problem+json */
  html?: boolean;
}

/** What is wrong with one answer, or undefined. */
export function judgeAnswer(
  request: RawRequest,
  response: RawResponse,
  ctx: JudgeContext,
): string | undefined {
  if (response.status >= 500) return `answered ${response.status}`;
  if (response.status < 100) return `answered a malformed status ${response.status}`;
  const text = response.raw;
  if (STACK_TRACE.test(response.body)) return 'the answer holds a stack trace';
  for (const secret of ctx.secrets) {
    if (secret.length >= 8 && text.includes(secret) && !request.target.includes(secret))
      return `the answer holds a secret (${secret.slice(0, 4)}…)`;
  }
  if (!ctx.mayCarryCredentials || response.status !== 200) {
    if (ACCESS_KEY_ID.test(text)) return 'the answer holds an access key id';
    if (LOCAL_SESSION_TOKEN.test(text)) return 'the answer holds a session token';
    if (SECRET_ACCESS_KEY.test(response.body)) return 'the answer holds a secret access key or session token';
  }
  // a 4xx from our code is a problem document naming the problem (Node's own parser
  // errors, before any of our code runs, have an empty body)
  if (response.status >= 400 && response.body !== '' && request.method !== 'HEAD') {
    const type = response.headers['content-type'] ?? '';
    if (ctx.html && type.startsWith('text/html')) return undefined;
    if (!type.startsWith('application/problem+json')) return `a ${response.status} answer of type ${type}`;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(response.body) as Record<string, unknown>;
    } catch {
      return 'a problem answer that is not JSON';
    }
    if (doc.status !== response.status) return `problem status ${String(doc.status)} ≠ ${response.status}`;
    if (typeof doc.title !== 'string' || typeof doc.detail !== 'string' || doc.detail === '')
      return 'a problem answer without title or detail';
  }
  return undefined;
}

export interface FuzzFailure {
  index: number;
  input: unknown;
  request: RawRequest;
  why: string;
  answer: string;
}

/**
 * Plays `runs` inputs drawn from `arbitrary` with the seed, `concurrency` at a time, and
 * judges each answer. Resolves with the failures (at most `maxFailures`) and the time taken.
 */
export async function fuzz<T>(options: {
  arbitrary: fc.Arbitrary<T>;
  runs: number;
  seed?: number;
  concurrency?: number;
  toRequest: (input: T) => RawRequest;
  send: (request: RawRequest) => Promise<RawResponse>;
  judge: (request: RawRequest, response: RawResponse, input: T) => string | undefined;
  maxFailures?: number;
}): Promise<{ failures: FuzzFailure[]; ms: number; statuses: Record<number, number> }> {
  const seed = options.seed ?? FUZZ_SEED;
  const inputs = fc.sample(options.arbitrary, { seed, numRuns: options.runs });
  const failures: FuzzFailure[] = [];
  const statuses: Record<number, number> = {};
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < inputs.length && failures.length < (options.maxFailures ?? 5)) {
      const index = next++;
      const input = inputs[index]!;
      const request = options.toRequest(input);
      let why: string | undefined;
      let answer = '';
      try {
        const response = await options.send(request);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        answer = response.raw.slice(0, 600);
        why = options.judge(request, response, input);
      } catch (error) {
        why = `no answer: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (why) failures.push({ index, input, request, why, answer });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 24 }, worker));
  return { failures, ms: performance.now() - started, statuses };
}

/** A readable report of failures, with the seed to replay them. */
export function failureReport(route: string, seed: number, failures: FuzzFailure[]): string {
  const show = (f: FuzzFailure) =>
    [
      `  #${f.index}: ${f.why}`,
      `    request: ${JSON.stringify({
        ...f.request,
        headers: f.request.headers?.map(([n, v]) => [n, v.length > 120 ? `${v.slice(0, 117)}...` : v]),
        body: String(f.request.body ?? '').slice(0, 400),
      })}`,
      `    answer: ${JSON.stringify(f.answer)}`,
    ].join('\n');
  return [
    `${route}: ${failures.length} failing input(s); replay with FUZZ_SEED=${seed}`,
    ...failures.map(show),
  ].join('\n');
}

/**
 * Replays the seed sequentially through fast-check up to the first failing index, so that
 * its report (counterexample, shrunk, with seed and path) is printed too.
 */
export async function shrunkCounterexample<T>(options: {
  arbitrary: fc.Arbitrary<T>;
  seed: number;
  upTo: number;
  check: (input: T) => Promise<string | undefined>;
}): Promise<string> {
  const result = await fc.check(
    fc.asyncProperty(options.arbitrary, async (input) => (await options.check(input)) === undefined),
    { seed: options.seed, numRuns: options.upTo + 1, maxSkipsPerRun: 0 },
  );
  return result.failed ? (fc.defaultReportMessage(result) ?? 'failed') : 'not reproduced sequentially';
}
