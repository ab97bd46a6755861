/**
 * How approvers learn that a requester released its request: the Slack message (Block Kit),
 * sent by the Slack channel through Slack's Web API (a local test fake of it), and the
 * fan-out that asks only the channels that have something to say.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalChannel, FanoutNotifier } from '../../shared/adapters/notify/fanout-notifier.ts';
import { releasedMessage } from '../../shared/adapters/slack/blocks.ts';
import { SlackApprovalChannel } from '../../shared/adapters/slack/slack-channel.ts';
import type { Person } from '../../shared/domain/profile.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';

const request: AccessRequest = {
  id: '6f1c2a40-0b7e-4d5e-9a51-1f2e3d4c5b6a',
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/feature',
  requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/feature', actor: 'carol' },
  status: 'released',
  statusReason: 'released by the requester',
  permissions: [],
  sessionPolicy: { Version: '2012-10-17', Statement: [] },
  sessionPolicyHash: 'h',
  durationSeconds: 900,
  reason: 'tests <!channel> & more',
  approvals: [{ person: 'alice', decision: 'approve', channel: 'slack', at: '2026-11-24T09:51:00.000Z' }],
  approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
  createdAt: '2026-11-24T09:50:00.000Z',
  updatedAt: '2026-11-24T09:55:00.000Z',
  approvalDeadline: '2026-11-24T10:20:00.000Z',
  expiresAt: '2026-11-24T10:06:00.000Z',
  version: 7,
  auditHead: 'x',
  auditCount: 7,
};
const approvers: Person[] = [
  { name: 'alice', slack: 'U0ALICE01' },
  { name: 'bob', slack: 'U0BOB0001' },
  { name: 'dave', email: 'dave@example.com' },
];

/** A test fake of Slack's Web API on 127.0.0.1 (never Slack): records chat.postMessage calls. */
const calls: Array<{ method: string; fields: Record<string, string> }> = [];
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      calls.push({ method: (req.url ?? '').replace(/^\/api\//, ''), fields });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: 'D0001', ts: '1732442400.000100' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the release notice', () => {
  it('says who ended it and that the session is denied, with the request, escaped', () => {
    const message = releasedMessage(request);
    expect(message.text).toMatch(/^Released by the requester: ended early, the session is denied/);
    expect(message.blocks[0]).toEqual({
      type: 'section',
      block_id: 'jitvend_status',
      text: {
        type: 'mrkdwn',
        text: ':checkered_flag: *Released by the requester: ended early, the session is denied on the role until it expires*',
      },
    });
    const all = JSON.stringify(message);
    expect(all).toContain('tests &lt;!channel&gt; &amp; more');
    expect(all).not.toContain('<!channel>');
    expect(all).toContain(request.id);
    // no buttons: there is nothing left to decide or revoke
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('the Slack channel posts it to each approver with a Slack id, or once to the configured channel', async () => {
    calls.length = 0;
    const dm = new SlackApprovalChannel({
      token: 'xoxb-fake',
      slackApiUrl: url,
      retryConfig: { retries: 0 },
    });
    await expect(dm.ended(request, approvers)).resolves.toBe('sent to 2 approvers');
    const expected = releasedMessage(request);
    expect(calls.map((c) => [c.method, c.fields.channel, c.fields.text])).toEqual([
      ['chat.postMessage', 'U0ALICE01', expected.text],
      ['chat.postMessage', 'U0BOB0001', expected.text],
    ]);
    expect(calls[0]!.fields.blocks).toBe(JSON.stringify(expected.blocks));

    calls.length = 0;
    const shared = new SlackApprovalChannel({
      token: 'xoxb-fake',
      slackApiUrl: url,
      retryConfig: { retries: 0 },
      channel: 'C0APPROVALS',
    });
    await expect(shared.ended(request, approvers)).resolves.toBe('posted to channel C0APPROVALS');
    expect(calls.map((c) => c.fields.channel)).toEqual(['C0APPROVALS']);
  });

  it('the fan-out asks only channels that can tell, and reports a failing one without throwing', async () => {
    const logged: string[] = [];
    const told: string[] = [];
    const channels: ApprovalChannel[] = [
      {
        name: 'slack',
        send: async () => 'x',
        ended: async (r) => {
          told.push(r.id);
          return 'sent';
        },
      },
      { name: 'email', send: async () => 'x' },
      {
        name: 'pager',
        send: async () => 'x',
        ended: async () => {
          throw new Error('pager down');
        },
      },
    ];
    const notifier = new FanoutNotifier(channels, {
      info: () => {},
      warn: () => {},
      error: (message) => void logged.push(message),
    });
    await expect(notifier.requestEnded(request, approvers)).resolves.toEqual({
      slack: 'sent',
      pager: 'failed: pager down',
    });
    expect(told).toEqual([request.id]);
    expect(logged).toHaveLength(1);
  });
});
