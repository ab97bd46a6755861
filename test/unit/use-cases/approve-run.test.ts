/**
 * Approval reuse after the fact (shared/domain/use-cases/approve-run.ts): the jobs of a matrix
 * ask together, before anyone decides; once people approve one and the workflow issues it,
 * the jobs of the same run still waiting that it covers are approved by it, their workflows
 * resumed, their windows ending with its window. On the fakes, through the issue step.
 */
import { describe, expect, it } from 'vitest';
import type { CreateRequestBody } from '../../../shared/api/schemas.ts';
import type { JitvendConfig } from '../../../shared/domain/profile.ts';
import { applyChange } from '../../../shared/domain/transition.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { createRequest } from '../../../shared/domain/use-cases/create-request.ts';
import { workflowSteps } from '../../../shared/domain/use-cases/workflow-steps.ts';
import { fakeDeps, SAMPLE_CONFIG } from '../../fakes/deps.ts';
import { GITHUB } from '../../helpers/requests.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:payments-it-orders';
const BODY: CreateRequestBody = {
  profile: 'payments-it',
  permissions: [{ actions: ['sqs:SendMessage'], resources: [QUEUE] }],
  durationSeconds: 900,
  windowSeconds: 7200,
  reason: 'matrix job',
};
const JOB: Principal = {
  issuer: GITHUB,
  subject: 'repo:acme/payments:ref:refs/heads/main',
  claims: { repository: 'acme/payments', ref: 'refs/heads/main', run_id: '777', run_attempt: '1' },
};

function config(reuse: boolean): JitvendConfig {
  const copy = structuredClone(SAMPLE_CONFIG);
  const profile = copy.profiles['payments-it']!;
  profile.maxWindowSeconds = 14_400;
  if (reuse) profile.approval.reuse = 'sameRun';
  return copy;
}

/** six jobs ask at once; people approve the third; the workflow issues it */
async function matrix(reuse: boolean, wider = false) {
  const fakes = fakeDeps({ config: config(reuse) });
  const jobs = [];
  for (let i = 0; i < 6; i++) {
    const body =
      wider && i === 5
        ? {
            ...BODY,
            permissions: [{ actions: ['sqs:SendMessage', 'sqs:DeleteMessage'], resources: [QUEUE] }],
          }
        : BODY;
    const { request } = await createRequest(fakes.deps, JOB, { ...body, reason: `job ${i}` });
    await fakes.taskTokens.saveTaskToken(request.id, `task-token-${i}`, request.approvalDeadline);
    jobs.push(request);
  }
  const chosen = jobs[2]!;
  const at = fakes.deps.clock.now().toISOString();
  const { next, event } = applyChange(chosen, {
    to: 'approved',
    patch: {
      approvals: [
        { person: 'alice', decision: 'approve', channel: 'slack', at },
        { person: 'carol', decision: 'approve', channel: 'slack', at },
      ],
    },
    event: { type: 'request_approved', actor: 'carol', channel: 'slack', at },
  });
  await fakes.requests.commit(chosen, next, event);
  const issued = await workflowSteps(fakes.deps).issue({ requestId: chosen.id });
  return { fakes, jobs, chosen, issued };
}

describe('approval reuse for jobs already waiting', () => {
  it('one human decision approves the six jobs of a matrix', async () => {
    const { fakes, jobs, chosen, issued } = await matrix(true);
    expect(issued.issued).toBe(true);
    const others = jobs.filter((j) => j.id !== chosen.id);
    for (const job of others) {
      const stored = (await fakes.requests.get(job.id))!;
      expect(stored).toMatchObject({
        status: 'approved',
        reuseOf: chosen.id,
        windowEndsAt: issued.windowEndsAt,
      });
      const audit = await fakes.requests.listAudit(job.id);
      expect(audit.at(-1)).toMatchObject({
        type: 'request_approved',
        actor: `reuse:${chosen.id}`,
        channel: 'rule',
      });
    }
    // each waiting workflow resumed, approved
    expect(fakes.callback.successes.map((s) => s.output)).toEqual(
      others.map(() => ({ decision: 'approved' })),
    );
    expect(fakes.callback.successes.map((s) => s.taskToken).sort()).toEqual([
      'task-token-0',
      'task-token-1',
      'task-token-3',
      'task-token-4',
      'task-token-5',
    ]);
    // its approvers learn how many jobs their one decision covers, up to six
    expect(fakes.notifier.reused.map((r) => r.jobs)).toEqual([2, 3, 4, 5, 6]);
    expect(fakes.notifier.reused[0]!.approvers).toEqual(['alice', 'carol']);
  });

  it('a job asking for more than the approved one keeps waiting for people', async () => {
    const { fakes, jobs } = await matrix(true, true);
    expect((await fakes.requests.get(jobs[5]!.id))!.status).toBe('pending_approval');
    expect(fakes.callback.successes).toHaveLength(4);
  });

  it('a profile without reuse: every other job still waits', async () => {
    const { fakes, jobs, chosen } = await matrix(false);
    for (const job of jobs.filter((j) => j.id !== chosen.id)) {
      expect((await fakes.requests.get(job.id))!.status).toBe('pending_approval');
    }
    expect(fakes.callback.successes).toEqual([]);
  });

  it('a job approved by reuse is issued for the rest of the window only', async () => {
    const { fakes, jobs, issued } = await matrix(true);
    // an hour and three quarters later, job 0's workflow issues it
    const later = new Date(fakes.deps.clock.now().getTime() + 105 * 60_000);
    fakes.deps.clock.now = () => later;
    const job0 = await workflowSteps(fakes.deps).issue({ requestId: jobs[0]!.id });
    expect(job0.issued).toBe(true);
    expect(job0.windowEndsAt).toBe(issued.windowEndsAt);
    // 15 minutes were left: its session is 900 s, ending with the window
    expect(fakes.issuer.calls.at(-1)?.durationSeconds).toBe(900);
    expect(job0.expiresAt).toBe(issued.windowEndsAt);
  });
});
