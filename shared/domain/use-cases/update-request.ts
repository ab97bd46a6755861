/**
 * The one optimistic-concurrency loop of the domain. Every change of a request (and every
 * audit event, whose chain head lives on the request) is a conditional write on the version
 * read, so a busy request makes writers lose races. A use case is a guard plus a change:
 * `updateRequest` reads, asks the use case what to do with what it read, commits, and when
 * another writer got there first (ConcurrentUpdateError) re-reads and asks again after a
 * short random pause that spreads the retries (conflict-retry.ts).
 */
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { DepsWith } from '../deps.ts';
import { ConcurrentUpdateError, ConflictError } from '../errors.ts';
import type { CommitOptions, RequestRepository } from '../ports.ts';
import { applyChange, type Change } from '../transition.ts';
import type { AccessRequest, RequestStatus } from '../types.ts';
import { requestOrThrow } from './read-requests.ts';

/** What a use case decides on the state it was shown. */
export type Verdict<T> =
  /** nothing to write: answer this */
  | { answer: T; change?: never }
  /** write this change; once committed, `done` gives the answer (it runs once, never retried) */
  | { change: Change; options?: CommitOptions; done: (next: AccessRequest) => T | Promise<T> };

/** What the loop reads on each attempt: the request, and whatever else was read with it. */
export interface Read {
  request: AccessRequest;
}

export interface Update<T, S extends Read> {
  id: string;
  /** the state as just read by the caller: saves the read of the first attempt */
  known?: S;
  /** reads the state to judge (default: the request, by `requestOrThrow`) */
  read?: () => Promise<S>;
  /** the guard and the change, judged afresh on every attempt: throw to refuse */
  decide(state: S): Verdict<T> | Promise<Verdict<T>>;
  /** the error once every attempt lost its race (default: a 409 "keeps changing; try again") */
  exhausted?: () => Error;
}

type LoopDeps = DepsWith<'config', Pick<RequestRepository, 'get' | 'commit'>>;

export async function updateRequest<T, S extends Read = Read>(
  deps: LoopDeps,
  update: Update<T, S>,
): Promise<T> {
  // the default read gives exactly a Read, which is S whenever no `read` is given
  const read = update.read ?? (async () => ({ request: await requestOrThrow(deps, update.id) }) as S);
  let known = update.known;
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await pauseAfterConflict(attempt);
    const state = known ?? (await read());
    known = undefined;
    const verdict = await update.decide(state);
    if (verdict.change === undefined) return verdict.answer;
    const { next, event } = applyChange(state.request, verdict.change);
    try {
      await deps.store.commit(state.request, next, event, verdict.options);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      // someone else changed the request meanwhile: judge again on what it is now
      continue;
    }
    return verdict.done(next);
  }
  throw update.exhausted?.() ?? new ConflictError(`request ${update.id} keeps changing; try again`);
}

/**
 * Applies a change if the request is (still) in one of `from`. Returns the new request, or
 * undefined when the request is no longer in `from` (someone else decided: nothing to do).
 * For workflow steps and follow-up events: when every attempt loses, a ConcurrentUpdateError
 * (a step failure the workflow retries), not a 409.
 */
export function changeIf(
  deps: LoopDeps,
  /** the request id, or the request as just read (saves a read on the first attempt) */
  target: string | AccessRequest,
  from: readonly RequestStatus[],
  change: (request: AccessRequest) => Change,
  options?: CommitOptions,
): Promise<AccessRequest | undefined> {
  const id = typeof target === 'string' ? target : target.id;
  return updateRequest<AccessRequest | undefined>(deps, {
    id,
    ...(typeof target === 'string' ? {} : { known: { request: target } }),
    decide: ({ request }) =>
      from.includes(request.status)
        ? { change: change(request), ...(options ? { options } : {}), done: (next) => next }
        : { answer: undefined },
    exhausted: () => new ConcurrentUpdateError(`request ${id} kept changing during a workflow step`),
  });
}
