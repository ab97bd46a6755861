/**
 * An approval channel down: the real Slack adapter (Slack's Web API client) or the real SES
 * adapter (SESv2 client) pointed at a loopback port where nothing listens, beside the other
 * channel's local stand-in. The request still waits for people, the failure is in its audit
 * trail, and the channel that works decides it; with both down an approver still decides
 * through the API.
 */
import { createServer } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { localEmailChannel } from '../../local/email-stand-in.ts';
import { localSlackChannel } from '../../local/slack-stand-in.ts';
import { type ApprovalChannel, FanoutNotifier } from '../../shared/adapters/notify/fanout-notifier.ts';
import { SesEmailChannel } from '../../shared/adapters/ses/email-channel.ts';
import { signSlackRequest } from '../../shared/adapters/slack/signature.ts';
import { slackChannel } from '../../shared/adapters/slack/slack-channel.ts';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });

/** a loopback port nobody listens on (opened, then closed) */
async function deadPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

let dead: string;
const channels = {
  slackDown: (): ApprovalChannel =>
    slackChannel({
      token: 'xoxb-fault-test-token',
      slackApiUrl: `${dead}/api/`,
      timeoutMs: 1000,
      retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 },
    }),
  sesDown: (): ApprovalChannel => {
    const runtime = ctx.stack.runtime;
    return new SesEmailChannel({
      from: 'jitvend <jitvend@example.com>',
      client: new SESv2Client({
        endpoint: dead,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDFAULTTEST', secretAccessKey: 'fault-test' },
        maxAttempts: 2,
      }),
      publicUrl: ctx.stack.url,
      store: runtime.store,
      clock: runtime.clock,
      approvalTokenKey: runtime.secrets.approvalTokenKey,
      profileDescription: () => undefined,
    });
  },
  slackUp: (): ApprovalChannel =>
    localSlackChannel({ outbox: ctx.stack.outbox, publicUrl: ctx.stack.url, clock: ctx.stack.runtime.clock }),
  emailUp: (): ApprovalChannel =>
    localEmailChannel({
      outbox: ctx.stack.outbox,
      publicUrl: ctx.stack.url,
      runtime: () => ctx.stack.runtime,
    }),
};

beforeAll(async () => {
  dead = `http://127.0.0.1:${await deadPort()}`;
});

function useChannels(...list: ApprovalChannel[]) {
  ctx.stack.runtime.notifier = new FanoutNotifier(list, ctx.stack.runtime.logger);
}

async function pendingRequest(branch: string) {
  const pipeline = await ctx.stack.oidc.sign({
    sub: `repo:acme/orders:ref:refs/heads/${branch}`,
    repository: 'acme/orders',
    ref: `refs/heads/${branch}`,
  });
  const created = await api(ctx.stack, 'POST', '/requests', pipeline, {
    profile: 'orders-it',
    reason: branch,
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // the workflow reached AwaitApproval and reported what each channel did
  let notified: { detail?: { channels?: Record<string, string> } } | undefined;
  for (let i = 0; i < 100 && !notified; i++) {
    notified = (await ctx.stack.runtime.store.listAudit(id)).find((e) => e.type === 'approvers_notified');
    if (!notified) await new Promise((r) => setTimeout(r, 100));
  }
  expect(notified, 'approvers_notified').toBeDefined();
  const view = await api(ctx.stack, 'GET', `/requests/${id}`, pipeline);
  expect(view.body.status).toBe('pending_approval');
  return { id, pipeline, channels: notified!.detail!.channels! };
}

describe('an approval channel down', () => {
  it('Slack down: the request waits, the failure is audited, the email link decides it', async () => {
    useChannels(channels.slackDown(), channels.emailUp());
    const { id, pipeline, channels: report } = await pendingRequest('slack-down');
    expect(report.slack).toMatch(/^failed: /);
    expect(report.slack).not.toContain('xoxb-fault-test-token');
    expect(report.email).toMatch(/sent/);
    const link = ctx.stack.outbox
      .list()
      .find((m) => m.channel === 'email' && m.requestId === id && m.to === 'alice@example.com')!.links![0]!;
    const res = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(res.status).toBe(200);
    await untilStatus(ctx.stack, id, pipeline, 'issued');
  });

  it('SES down: the request waits, the failure is audited, a Slack click decides it', async () => {
    useChannels(channels.slackUp(), channels.sesDown());
    const { id, pipeline, channels: report } = await pendingRequest('ses-down');
    expect(report.email).toMatch(/^failed: /);
    expect(report.slack).toMatch(/sent/);
    const message = ctx.stack.outbox
      .list()
      .find((m) => m.channel === 'slack' && m.requestId === id && m.to === 'U0BOB0001')!;
    const body = `payload=${encodeURIComponent(
      JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0BOB0001' },
        response_url: (message.extra as { response_url: string }).response_url,
        actions: [{ action_id: 'jitvend_approve', value: id }],
      }),
    )}`;
    const click = await fetch(`${ctx.stack.url}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(
          ctx.stack.runtime.secrets.slackSigningSecret,
          Math.floor(Date.now() / 1000),
          body,
        ),
      },
      body,
    });
    expect(click.status).toBe(200);
    await untilStatus(ctx.stack, id, pipeline, 'issued');
  });

  it('both down: the request still waits and an approver decides through the API', async () => {
    useChannels(channels.slackDown(), channels.sesDown());
    const { id, pipeline, channels: report } = await pendingRequest('both-down');
    expect(report.slack).toMatch(/^failed: /);
    expect(report.email).toMatch(/^failed: /);
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const decided = await api(ctx.stack, 'POST', `/requests/${id}/decision`, alice, { decision: 'deny' });
    expect(decided.status).toBe(200);
    await untilStatus(ctx.stack, id, pipeline, 'denied');
  });
});
