/**
 * The Slack approval channel against FakeSlackWebApi: a test fake of Slack's Web API on
 * 127.0.0.1 that records every call (method, bot token, form fields) and answers like Slack.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { approvalRequestMessage } from '../../shared/adapters/slack/blocks.ts';
import { SlackApprovalChannel } from '../../shared/adapters/slack/slack-channel.ts';
import type { Person } from '../../shared/domain/profile.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';

const TOKEN = 'xoxb-test-0000-fake-token';

interface RecordedCall {
  method: string;
  authorization: string | undefined;
  contentType: string | undefined;
  fields: Record<string, string>;
}

/** A test fake of Slack's Web API (https://slack.com/api/<method>); never Slack itself. */
class FakeSlackWebApi {
  readonly calls: RecordedCall[] = [];
  /** channel id → Slack error code to answer with (`ok: false`) */
  readonly errors = new Map<string, string>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        const method = (req.url ?? '').replace(/^\/api\//, '');
        this.calls.push({
          method,
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          fields,
        });
        const error = this.errors.get(fields.channel ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            error
              ? { ok: false, error }
              : { ok: true, channel: `D${fields.channel?.slice(1)}`, ts: '1732442400.000100' },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const slack = new FakeSlackWebApi();
beforeAll(() => slack.start());
afterAll(() => slack.stop());
afterEach(() => {
  slack.calls.length = 0;
  slack.errors.clear();
});

const request: AccessRequest = {
  id: '6f1c2a40-0b7e-4d5e-9a51-1f2e3d4c5b6a',
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/feature',
  requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/feature', actor: 'carol' },
  initiator: 'carol',
  status: 'pending_approval',
  permissions: [],
  sessionPolicy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:::table/x' }],
  },
  sessionPolicyHash: 'h',
  durationSeconds: 900,
  reason: 'integration tests',
  approvals: [],
  approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'dave'], minApprovals: 1 },
  createdAt: '2026-11-24T09:50:00.000Z',
  updatedAt: '2026-11-24T09:50:00.000Z',
  approvalDeadline: '2026-11-24T10:20:00.000Z',
  version: 2,
  auditHead: 'x',
  auditCount: 2,
};

const approvers: Person[] = [
  { name: 'alice', slack: 'U0ALICE01', email: 'alice@example.com' },
  { name: 'bob', slack: 'U0BOB0001' },
  { name: 'dave', email: 'dave@example.com' },
];

function channel(options: { channel?: string } = {}) {
  return new SlackApprovalChannel({
    token: TOKEN,
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
    ...options,
  });
}

const expected = approvalRequestMessage(request);

describe('the Slack approval channel', () => {
  it('sends one chat.postMessage DM to each approver with a Slack id', async () => {
    await expect(channel().send(request, approvers)).resolves.toBe('sent to 2 approvers');
    expect(slack.calls.map((c) => [c.method, c.fields.channel])).toEqual([
      ['chat.postMessage', 'U0ALICE01'],
      ['chat.postMessage', 'U0BOB0001'],
    ]);
    for (const call of slack.calls) {
      expect(call.authorization).toBe(`Bearer ${TOKEN}`);
      expect(call.contentType).toBe('application/x-www-form-urlencoded');
      expect(call.fields).toEqual({
        channel: call.fields.channel,
        text: expected.text,
        blocks: JSON.stringify(expected.blocks),
        unfurl_links: 'false',
        unfurl_media: 'false',
      });
      expect(call.fields).not.toHaveProperty('token');
    }
  });

  it('posts once to the configured channel instead', async () => {
    await expect(channel({ channel: 'C0APPROVALS' }).send(request, approvers)).resolves.toBe(
      'posted to channel C0APPROVALS',
    );
    expect(slack.calls.map((c) => [c.method, c.fields.channel])).toEqual([
      ['chat.postMessage', 'C0APPROVALS'],
    ]);
  });

  it('messages nobody, and says so, when no approver has a Slack id', async () => {
    await expect(channel().send(request, [approvers[2]!])).resolves.toBe('no approver has a Slack id');
    expect(slack.calls).toEqual([]);
  });

  it('reports a partial failure by user and Slack error code', async () => {
    slack.errors.set('U0BOB0001', 'user_not_found');
    await expect(channel().send(request, approvers)).resolves.toBe(
      'sent to 1 approver; failed for U0BOB0001 (user_not_found)',
    );
  });

  it('fails with the Slack error code, never the token, when nothing could be sent', async () => {
    slack.errors.set('U0ALICE01', 'invalid_auth');
    slack.errors.set('U0BOB0001', 'invalid_auth');
    const error = await channel()
      .send(request, approvers)
      .catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'slack chat.postMessage failed for U0ALICE01 (invalid_auth), U0BOB0001 (invalid_auth)',
    );
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('fails clearly when the configured channel cannot be posted to', async () => {
    slack.errors.set('C0GONE', 'channel_not_found');
    await expect(channel({ channel: 'C0GONE' }).send(request, approvers)).rejects.toThrow(
      'slack chat.postMessage to C0GONE failed: channel_not_found',
    );
  });

  it('fails clearly, without the token, when Slack cannot be reached', async () => {
    const unreachable = new SlackApprovalChannel({
      token: TOKEN,
      slackApiUrl: 'http://127.0.0.1:1/api/',
      retryConfig: { retries: 0 },
    });
    const error = await unreachable.send(request, [approvers[0]!]).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      'slack chat.postMessage failed for U0ALICE01 (Slack could not be reached)',
    );
  });

  it('refuses an empty bot token at construction', () => {
    expect(() => new SlackApprovalChannel({ token: ' ' })).toThrow('slack channel: the bot token is empty');
  });
});
