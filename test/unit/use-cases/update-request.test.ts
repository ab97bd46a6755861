/**
 * The one concurrency loop: read, judge, commit, and on a lost race read and judge again;
 * nothing written when the use case refuses or answers without a change.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError, ConflictError, ForbiddenError } from '../../../shared/domain/errors.ts';
import { applyChange, type Change } from '../../../shared/domain/transition.ts';
import type { AccessRequest } from '../../../shared/domain/types.ts';
import { changeIf, updateRequest } from '../../../shared/domain/use-cases/update-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, requestIn } from '../../helpers/requests.ts';

const note = (actor: string): Change => ({
  event: { type: 'approvers_notified', actor, channel: 'system', at: at(100) },
});

function seeded() {
  const fakes = fakeDeps();
  const stored = requestIn('pending_approval');
  fakes.requests.seed(stored.request, stored.events);
  return { ...fakes, id: stored.request.id, stored };
}

/** Another writer commits a change to the request just after the use case read it. */
async function sneakIn(fakes: ReturnType<typeof seeded>, seen: AccessRequest): Promise<void> {
  const { next, event } = applyChange(seen, note('someone-else'));
  await fakes.requests.commit(seen, next, event);
}

describe('updateRequest', () => {
  it('commits the change and answers from the committed request', async () => {
    const fakes = seeded();
    const answer = await updateRequest(fakes.deps, {
      id: fakes.id,
      decide: () => ({ change: note('me'), done: (next) => next.version }),
    });
    expect(answer).toBe(2);
    expect((await fakes.requests.listAudit(fakes.id)).map((e) => e.actor)).toEqual([
      fakes.stored.request.requester,
      'me',
    ]);
  });

  it.each([
    ['answers without a change', () => ({ answer: 'nothing to do' })],
    [
      'refuses',
      () => {
        throw new ForbiddenError('no');
      },
    ],
  ])('writes nothing when the use case %s', async (_, decide) => {
    const fakes = seeded();
    await updateRequest(fakes.deps, { id: fakes.id, decide }).catch(() => undefined);
    expect(fakes.requests.writes).toBe(0);
  });

  it('judges again on the request as it is now after losing a race', async () => {
    const fakes = seeded();
    const seenVersions: number[] = [];
    const answer = await updateRequest(fakes.deps, {
      id: fakes.id,
      decide: async ({ request }) => {
        seenVersions.push(request.version);
        if (seenVersions.length === 1) await sneakIn(fakes, request);
        return { change: note('me'), done: (next) => next.version };
      },
    });
    expect(seenVersions).toEqual([1, 2]);
    expect(answer).toBe(3);
    expect((await fakes.requests.listAudit(fakes.id)).map((e) => e.actor).slice(1)).toEqual([
      'someone-else',
      'me',
    ]);
  });

  it('gives up with a 409 when every one of its 25 attempts loses', async () => {
    const fakes = seeded();
    let attempts = 0;
    const outcome = updateRequest(fakes.deps, {
      id: fakes.id,
      decide: async ({ request }) => {
        attempts++;
        await sneakIn(fakes, request);
        return { change: note('me'), done: () => 'never' };
      },
    });
    await expect(outcome).rejects.toThrow(ConflictError);
    await expect(outcome).rejects.toThrow(/keeps changing; try again/);
    expect(attempts).toBe(25);
  });

  it('uses the state the caller already read for its first attempt', async () => {
    const fakes = seeded();
    let reads = 0;
    await updateRequest(fakes.deps, {
      id: fakes.id,
      known: { request: fakes.stored.request },
      read: async () => {
        reads++;
        return { request: (await fakes.requests.get(fakes.id))! };
      },
      decide: () => ({ change: note('me'), done: () => undefined }),
    });
    expect(reads).toBe(0);
  });
});

describe('changeIf', () => {
  it.each([
    { status: 'pending_approval', from: ['pending_approval'], changed: true },
    { status: 'pending_approval', from: ['approved', 'issued'], changed: false },
  ] as const)('from $from on a $status request: changed $changed', async ({ from, changed }) => {
    const fakes = seeded();
    const result = await changeIf(fakes.deps, fakes.id, from, () => note('step'));
    expect(result !== undefined).toBe(changed);
    expect(fakes.requests.writes).toBe(changed ? 1 : 0);
  });

  it('fails a workflow step with ConcurrentUpdateError (the workflow retries it), not a 409', async () => {
    const fakes = seeded();
    const outcome = changeIf(fakes.deps, fakes.id, ['pending_approval'], (request) => {
      // every attempt, someone else writes first
      void sneakIn(fakes, request);
      return note('step');
    });
    await expect(outcome).rejects.toThrow(ConcurrentUpdateError);
  });
});
