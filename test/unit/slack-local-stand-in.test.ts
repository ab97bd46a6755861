import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { localRoutes } from '../../local/local-routes.ts';
import type { LocalOidcIssuer } from '../../local/oidc-issuer.ts';
import type { OutboxMessage } from '../../local/outbox.ts';
import { localResponseUrl, localSlackChannel } from '../../local/slack-stand-in.ts';
import { approvalRequestMessage } from '../../shared/adapters/slack/blocks.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';

const AT = new Date('2026-11-24T10:00:00.000Z');
const clock = { now: () => AT };

const request = {
  id: 'r-1',
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/feature',
  requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/feature', actor: 'carol' },
  status: 'pending_approval',
  permissions: [],
  sessionPolicy: { Version: '2012-10-17', Statement: [] },
  sessionPolicyHash: 'h',
  durationSeconds: 900,
  reason: 'tests',
  approvals: [],
  approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
  createdAt: AT.toISOString(),
  updatedAt: AT.toISOString(),
  approvalDeadline: AT.toISOString(),
  version: 1,
  auditHead: 'x',
  auditCount: 1,
} satisfies AccessRequest;

describe('the local Slack stand-in', () => {
  it('writes one outbox message per approver with a Slack id, with blocks and a local response_url', async () => {
    const sent: OutboxMessage[] = [];
    const channel = localSlackChannel({
      outbox: { add: (m) => sent.push(m) },
      publicUrl: 'http://127.0.0.1:8787',
      clock,
    });
    expect(channel.name).toBe('slack');
    const summary = await channel.send(request, [
      { name: 'alice', slack: 'U0ALICE01' },
      { name: 'bob', slack: 'U0BOB0001' },
      { name: 'dave', email: 'dave@example.com' },
    ]);
    expect(summary).toBe('sent to 2 approvers (local outbox)');
    const message = approvalRequestMessage(request);
    expect(sent).toEqual(
      ['U0ALICE01', 'U0BOB0001'].map((to) => ({
        channel: 'slack',
        to,
        requestId: 'r-1',
        text: message.text,
        at: AT.toISOString(),
        extra: {
          blocks: message.blocks,
          response_url: `http://127.0.0.1:8787/.local/slack/response?to=${to}&requestId=r-1`,
        },
      })),
    );
  });

  it('records a response_url update in the outbox through POST /.local/slack/response', async () => {
    const sent: OutboxMessage[] = [];
    const routes = localRoutes({
      oidc: {} as LocalOidcIssuer,
      outbox: () => sent,
      slackResponses: { add: (m) => sent.push(m) },
    });
    const url = new URL(localResponseUrl('http://127.0.0.1:8787', 'U0ALICE01', 'r-1'));
    const body = JSON.stringify({
      replace_original: true,
      text: 'Approved by alice',
      blocks: [{ type: 'divider' }],
    });
    const result = await routes({ method: 'POST' } as IncomingMessage, url, body);
    expect(result?.statusCode).toBe(200);
    expect(sent).toEqual([
      {
        channel: 'slack',
        to: 'U0ALICE01',
        requestId: 'r-1',
        text: 'Approved by alice',
        at: expect.any(String),
        extra: { update: true, replace_original: true, blocks: [{ type: 'divider' }] },
      },
    ]);

    const bad = await routes({ method: 'POST' } as IncomingMessage, url, '{nope');
    expect(bad?.statusCode).toBe(400);
    expect(sent).toHaveLength(1);
  });
});
