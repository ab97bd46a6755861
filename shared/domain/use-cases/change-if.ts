import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { Deps } from '../deps.ts';
import { ConcurrentUpdateError } from '../errors.ts';
import { applyChange, type Change } from '../transition.ts';
import type { AccessRequest, RequestStatus } from '../types.ts';
import { requestOrThrow } from './read-requests.ts';

/**
 * Applies a change if the request is (still) in one of `from`; re-reads and retries when a
 * concurrent writer got there first. Returns the new request, or undefined when the
 * request is no longer in `from` (someone else decided: nothing to do).
 */
export async function changeIf(
  deps: Deps,
  /** the request id, or the request as just read (saves a read on the first attempt) */
  target: string | AccessRequest,
  from: readonly RequestStatus[],
  change: (request: AccessRequest) => Change,
  options?: Parameters<Deps['store']['commit']>[3],
): Promise<AccessRequest | undefined> {
  const id = typeof target === 'string' ? target : target.id;
  let known = typeof target === 'string' ? undefined : target;
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await pauseAfterConflict(attempt);
    const request = known ?? (await requestOrThrow(deps, id));
    known = undefined;
    if (!from.includes(request.status)) return undefined;
    const { next, event } = applyChange(request, change(request));
    try {
      await deps.store.commit(request, next, event, options);
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
  throw new ConcurrentUpdateError(`request ${id} kept changing during a workflow step`);
}
