/** Resuming the AwaitApproval task: exactly one sender, and never a half-approved request. */
import { describe, expect, it } from 'vitest';
import { resumeWorkflow } from '../../../shared/domain/use-cases/resume-workflow.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, requestIn } from '../../helpers/requests.ts';

describe('resumeWorkflow', () => {
  it.each([
    { case: 'a waiting task', token: true, waiting: true, decision: 'approved', sent: 1, status: 'approved' },
    {
      case: 'no token stored yet (the task resumes itself)',
      token: false,
      waiting: true,
      decision: 'approved',
      sent: 0,
      status: 'approved',
    },
    {
      case: 'a task that stopped waiting, on approval',
      token: true,
      waiting: false,
      decision: 'approved',
      sent: 1,
      status: 'failed',
    },
    {
      case: 'a task that stopped waiting, on a denial',
      token: true,
      waiting: false,
      decision: 'denied',
      sent: 1,
      status: 'denied',
    },
  ] as const)('$case: $sent sent, request ends $status', async (row) => {
    const fakes = fakeDeps();
    const stored = requestIn(row.decision === 'denied' ? 'denied' : 'approved');
    fakes.requests.seed(stored.request, stored.events);
    if (row.token) await fakes.taskTokens.saveTaskToken(stored.request.id, 'task-token-1', at(1800));
    fakes.callback.waiting = row.waiting;
    await resumeWorkflow(fakes.deps, stored.request, row.decision);
    expect(fakes.callback.successes).toHaveLength(row.sent);
    expect((await fakes.requests.get(stored.request.id))!.status).toBe(row.status);
    expect(await fakes.taskTokens.getTaskToken(stored.request.id)).toBeUndefined();
  });

  it('resumes once when two callers race for the same task', async () => {
    const fakes = fakeDeps();
    const stored = requestIn('approved');
    fakes.requests.seed(stored.request, stored.events);
    await fakes.taskTokens.saveTaskToken(stored.request.id, 'task-token-1', at(1800));
    await Promise.all([
      resumeWorkflow(fakes.deps, stored.request, 'approved'),
      resumeWorkflow(fakes.deps, stored.request, 'approved'),
    ]);
    expect(fakes.callback.successes).toEqual([
      { taskToken: 'task-token-1', output: { decision: 'approved' } },
    ]);
  });
});
