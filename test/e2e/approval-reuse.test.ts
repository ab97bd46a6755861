/**
 * Approval reuse end to end on the local stack (DynamoDB Local, the synthesized workflow, the
 * Slack stand-in): a matrix of six jobs in one CI run asks at once, one person approves one
 * of them, and all six get credentials; later jobs of the run, and a re-run, are approved at
 * create; another run, or a job after the approved one was released, asks people again.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.ts';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const config = loadConfig('jitvend.config.yaml');
const orders = config.profiles['orders-it']!;
orders.approval.reuse = 'sameRun';
orders.maxWindowSeconds = 7200;

const ctx = useLocalStack({ config, waitTimeOverrides: { WaitUntilExpiry: 600_000 } });
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-matrix';
const BODY = {
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [TABLE] }],
  durationSeconds: 900,
  windowSeconds: 3600,
  reason: 'matrix job',
};

function job(run: string, attempt = '1') {
  return ctx.stack.oidc.sign({
    sub: 'repo:acme/orders:ref:refs/heads/matrix',
    repository: 'acme/orders',
    ref: 'refs/heads/matrix',
    actor: 'dave',
    run_id: run,
    run_attempt: attempt,
  });
}

const create = async (token: string, body: object = BODY) => {
  const created = await api(ctx.stack, 'POST', '/requests', token, body);
  expect(created.status).toBe(201);
  return created.body as { id: string; status: string; reuseOf?: string };
};

describe('a matrix of six jobs in one run, one human decision', () => {
  it('approves one job by hand; the five others of the run get credentials by reuse', async () => {
    const token = await job('9001');
    const jobs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => create(token, { ...BODY, reason: `job ${i}` })),
    );
    expect(jobs.every((j) => j.status === 'pending_approval')).toBe(true);
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const chosen = jobs[3]!;
    const decision = await api(ctx.stack, 'POST', `/requests/${chosen.id}/decision`, alice, {
      decision: 'approve',
    });
    expect(decision.body).toMatchObject({ outcome: 'approved' });

    for (const each of jobs) {
      const view = await untilStatus(ctx.stack, each.id, token, 'issued');
      expect(view.reuseOf).toBe(each.id === chosen.id ? undefined : chosen.id);
      const credentials = await api(ctx.stack, 'POST', `/requests/${each.id}/credentials`, token);
      expect(credentials.status).toBe(200);
    }
    const audit = await api(ctx.stack, 'GET', `/requests/${jobs[0]!.id}/audit`, token);
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ type: 'request_approved', actor: `reuse:${chosen.id}`, channel: 'rule' }),
    );
    // only alice decided; she learns her one approval covers the six jobs
    const notices = ctx.stack.outbox
      .list()
      .filter(
        (m) =>
          m.channel === 'slack' && m.to === 'U0ALICE01' && m.text.includes(`Your approval of ${chosen.id}`),
      );
    expect(notices.map((m) => /covers (\d+) jobs/.exec(m.text)?.[1])).toEqual(['2', '3', '4', '5', '6']);

    // the local page says how a job was approved
    const page = await (await fetch(`${ctx.stack.url}/?request=${jobs[0]!.id}`)).text();
    expect(page).toContain(`by reuse of ${chosen.id}`);

    // a seventh job of the run, and a re-run of it: approved at create
    const seventh = await create(token);
    expect(seventh.reuseOf).toBe(chosen.id);
    await untilStatus(ctx.stack, seventh.id, token, 'issued');
    const rerun = await create(await job('9001', '2'));
    expect(rerun.reuseOf).toBe(chosen.id);

    // another run asks people; so does a job asking for more
    const other = await create(await job('9002'));
    expect(other.reuseOf).toBeUndefined();
    expect((await api(ctx.stack, 'GET', `/requests/${other.id}`, token)).body.status).toBe(
      'pending_approval',
    );
    const wider = await create(token, {
      ...BODY,
      permissions: [{ actions: ['dynamodb:Query'], resources: [TABLE] }],
    });
    expect(wider.reuseOf).toBeUndefined();

    // the approved job released: it approves nothing more
    expect((await api(ctx.stack, 'POST', `/requests/${chosen.id}/release`, token)).status).toBe(200);
    const afterRelease = await create(token);
    expect(afterRelease.reuseOf).toBeUndefined();
    expect((await api(ctx.stack, 'GET', `/requests/${afterRelease.id}`, token)).body.status).toBe(
      'pending_approval',
    );
  });
});
